# threads.py THREADS ROUNDS - object churn in threads: each worker builds
# dicts, lists, strings and tuples of many sizes and hands half of them to
# the next worker through a queue, so blocks are freed by threads that did
# not allocate them. Run with PYTHONMALLOC=malloc, or Python's own allocator
# serves every object up to 512 bytes. Prints a sum that depends on the
# arguments only.
import queue, sys, threading

n_threads = int(sys.argv[1]) if len(sys.argv) > 1 else 4
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 80000
queues = [queue.SimpleQueue() for _ in range(n_threads)]
sums = [0] * n_threads

def work(t):
    inbox, outbox = queues[t], queues[(t + 1) % n_threads]
    keep, total, done = [], 0, False

    def take(got):
        nonlocal total, done
        if got is None:
            done = True
        else:
            total += len(got["name"]) + len(got["vals"])

    for i in range(rounds):
        obj = {"id": i, "name": "w%d-%s" % (t, "x" * (i % 40)),
               "vals": [j * i for j in range(i % 23)], "pair": (t, i)}
        keep.append(obj)
        if len(keep) > 512:
            keep = keep[256:]
        if i % 2 == 0:
            outbox.put(obj)
        while not inbox.empty():
            take(inbox.get())
    outbox.put(None)
    while not done:
        take(inbox.get())
    sums[t] = total

threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print(sum(sums))
