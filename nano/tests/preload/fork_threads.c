/*
 * fork_threads.c - a real fork() from a multithreaded process whose threads
 * are allocating, run by meson with and without the preload.
 *
 * Four worker threads churn blocks of 1..300 bytes and pass some to the next
 * worker, which frees them (remote frees). Meanwhile the main thread keeps a
 * set of blocks with known contents and forks 30 times (fork(), not system()
 * or popen(), which run no fork handlers). Each child, single-threaded:
 *   - checks the contents of the parent's blocks and frees every one of them
 *     (blocks allocated by the parent before fork);
 *   - allocates and frees 200000 blocks, and in a thread of its own as well;
 *   - with nano preloaded, checks that its new small blocks are nano's;
 *   - exits 0 if all is well (an alarm turns a deadlock into a failure).
 * The parent checks each child's exit status, replaces its blocks (so later
 * children get blocks allocated by different threads and after earlier
 * forks), and finally stops the workers and checks their counts.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 4
#define FORKS 30
#define KEPT 4000
#define SLOTS 64

static int (*n_owns)(const void *);
static volatile int stop;

/* ------------------------------------------------------------------------
 * A block with a checkable pattern: first byte = size & 0xff, the rest a
 * function of the seed.
 * ---------------------------------------------------------------------- */

static unsigned char *block_new(size_t size, unsigned seed)
{
	unsigned char *p = malloc(size);
	if (!p)
		return NULL;
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(seed * 31 + i);
	return p;
}

static int block_ok(const unsigned char *p, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != (unsigned char)(seed * 31 + i))
			return 0;
	return 1;
}

/* ------------------------------------------------------------------------
 * Workers: churn, and hand some blocks to the next worker.
 * ---------------------------------------------------------------------- */

struct mailbox {
	pthread_mutex_t lock;
	unsigned char *slot[SLOTS];
	size_t size[SLOTS];
	unsigned seed[SLOTS];
	int n;
};

static struct mailbox box[WORKERS];
static unsigned long done_pairs[WORKERS], bad_blocks;

static void *worker(void *arg)
{
	const int id = (int)(intptr_t)arg;
	struct mailbox *mine = &box[id], *next = &box[(id + 1) % WORKERS];
	unsigned char *local[32] = { 0 };
	size_t lsize[32] = { 0 };
	unsigned x = 2463534242u + id;
	unsigned long pairs = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		for (int k = 0; k < 256; k++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			int i = x % 32;
			if (local[i]) {
				if (!block_ok(local[i], lsize[i], (unsigned)i))
					__atomic_fetch_add(&bad_blocks, 1, __ATOMIC_RELAXED);
				free(local[i]);
				pairs++;
			}
			lsize[i] = 1 + (x >> 8) % 300;
			local[i] = block_new(lsize[i], (unsigned)i);
		}
		/* Hand one block to the next worker; free what was handed to us. */
		size_t hs = 1 + x % 256;
		unsigned char *h = block_new(hs, x);
		pthread_mutex_lock(&next->lock);
		if (next->n < SLOTS) {
			next->slot[next->n] = h, next->size[next->n] = hs, next->seed[next->n] = x;
			next->n++;
			h = NULL;
		}
		pthread_mutex_unlock(&next->lock);
		free(h);
		pthread_mutex_lock(&mine->lock);
		while (mine->n > 0) {
			mine->n--;
			if (!block_ok(mine->slot[mine->n], mine->size[mine->n], mine->seed[mine->n]))
				__atomic_fetch_add(&bad_blocks, 1, __ATOMIC_RELAXED);
			free(mine->slot[mine->n]);
		}
		pthread_mutex_unlock(&mine->lock);
	}
	for (int i = 0; i < 32; i++)
		free(local[i]);
	done_pairs[id] = pairs;
	return NULL;
}

/* ------------------------------------------------------------------------
 * The child
 * ---------------------------------------------------------------------- */

static unsigned char *kept[KEPT];
static size_t kept_size[KEPT];

static void *child_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50000; i++) {
		void *p = malloc(1 + i % 256);
		if (!p)
			return (void *)1;
		free(p);
	}
	return NULL;
}

static int child(int round)
{
	int bad = 0, foreign = 0;
	pthread_t t;
	void *tr = (void *)1;

	alarm(20);
	for (int i = 0; i < KEPT; i++) {
		if (!block_ok(kept[i], kept_size[i], (unsigned)i))
			bad++;
		free(kept[i]);         /* the parent's blocks */
	}
	for (int i = 0; i < 200000; i++) {
		size_t size = 1 + (size_t)(i * 7) % 256;
		unsigned char *p = block_new(size, (unsigned)i);
		if (!p || (n_owns && !n_owns(p)))
			foreign++;
		if (p && !block_ok(p, size, (unsigned)i))
			bad++;
		free(p);
	}
	if (pthread_create(&t, NULL, child_thread, NULL) == 0)
		pthread_join(t, &tr);
	if (bad || foreign || tr) {
		fprintf(stderr, "fork_threads: child %d: %d corrupted blocks, %d small blocks not nano's, thread %s\n",
			round, bad, foreign, tr ? "failed" : "ok");
		_exit(1);
	}
	exit(0);   /* exit, not _exit: runs the preload's destructor in the child too */
}

int main(void)
{
	pthread_t th[WORKERS];
	int failed = 0;

	n_owns = (int (*)(const void *))dlsym(RTLD_DEFAULT, "nano_owns");
	for (int i = 0; i < WORKERS; i++)
		pthread_mutex_init(&box[i].lock, NULL);
	for (int i = 0; i < KEPT; i++) {
		kept_size[i] = 1 + (size_t)(i * 13) % 256;
		kept[i] = block_new(kept_size[i], (unsigned)i);
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);

	for (int round = 0; round < FORKS; round++) {
		int status;
		usleep(2000);
		fflush(NULL);
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			child(round);
		if (waitpid(pid, &status, 0) != pid) {
			perror("waitpid");
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "fork_threads: child %d %s %d\n", round,
				WIFSIGNALED(status) ? "killed by signal" : "exited with",
				WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			failed++;
		}
		/* The parent goes on: its blocks are intact; renew a share of them. */
		for (int i = round % 7; i < KEPT; i += 7) {
			if (!block_ok(kept[i], kept_size[i], (unsigned)i)) {
				fprintf(stderr, "fork_threads: parent block %d corrupted after fork %d\n", i, round);
				failed++;
			}
			free(kept[i]);
			kept[i] = block_new(kept_size[i], (unsigned)i);
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < WORKERS; i++) {
		for (int k = 0; k < box[i].n; k++)
			free(box[i].slot[k]);
		if (done_pairs[i] == 0) {
			fprintf(stderr, "fork_threads: worker %d did no work\n", i);
			failed++;
		}
	}
	for (int i = 0; i < KEPT; i++)
		free(kept[i]);
	if (bad_blocks) {
		fprintf(stderr, "fork_threads: %lu corrupted blocks in the workers\n", bad_blocks);
		failed++;
	}
	printf("fork_threads: %d forks, %s\n", FORKS, failed ? "FAILED" : "ok");
	return failed != 0;
}
