/*
 * run_exec.c - run one cell in a child process (see run_exec.h).
 *
 * A cell must not outlive the runner, even one killed with SIGKILL (which
 * no handler sees). Two things make sure: the cell's first process gets
 * PR_SET_PDEATHSIG (SIGKILL when the runner dies), and a tiny watcher
 * process joins the cell's process group and blocks reading a pipe only the
 * runner can write; when the runner is gone the read returns EOF and the
 * watcher kills the whole group, grandchildren of a program cell included
 * (a shell's children get no parent-death signal of their own). While the
 * watcher lives the group cannot vanish, so its number is never reused by
 * another group before the runner's kill(-pgid) at the end of the cell.
 */
#include "run_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

void run_exec_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);       /* the terminal went away: stop as on Ctrl-C */
	signal(SIGPIPE, SIG_IGN);
}

int run_exec_interrupted(void)
{
	return interrupted;
}

const char *run_status_name(enum run_status s)
{
	static const char *const names[] = { "ok", "failed", "crashed", "timeout", "interrupted",
					     "error" };
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(char *const argv[], char *const envp[], int rec_w, const char *log_path,
		  const char *stdout_path, pid_t runner)
{
	struct rlimit nocore = { 0, 0 };
	int log = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
	int out = stdout_path ? open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : log;
	int in = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != runner)
		_exit(126);             /* the runner died before prctl */
	setrlimit(RLIMIT_CORE, &nocore);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (log < 0 || out < 0 || in < 0)
		_exit(126);
	dup2(in, 0);
	dup2(out, 1);
	dup2(log, 2);
	if (rec_w != RUN_RECORD_FD) {
		dup2(rec_w, RUN_RECORD_FD);
		close(rec_w);
	} else {
		fcntl(rec_w, F_SETFD, 0);
	}
	execve(argv[0], argv, envp);
	_exit(127);
}

/* The watcher (forked by the runner): join the cell's group, wait for the
 * runner's end of the lifeline to close, then kill the group (itself too).
 * Async-signal-safe calls only. */
static void watcher(pid_t pgid, int life_r)
{
	char c;
	if (setpgid(0, pgid) != 0 && getpgrp() != pgid)
		_exit(0);               /* the group is gone already */
	if (dup2(life_r, 0) < 0)
		_exit(0);
	close_range(1, ~0u, 0);    /* hold no pipe or file of the runner's */
	while (read(0, &c, 1) < 0 && errno == EINTR)
		;
	if (getpgrp() == pgid)
		kill(-pgid, SIGKILL);
	_exit(0);
}

/* Start the watcher of the cell pid's group. Returns the lifeline's write
 * end (close it once the group is dead), or -1 without a watcher. */
static int start_watcher(pid_t pid, pid_t *wpid)
{
	int life[2];
	*wpid = -1;
	if (pipe2(life, O_CLOEXEC) != 0)
		return -1;
	*wpid = fork();
	if (*wpid == 0)
		watcher(pid, life[0]);
	close(life[0]);
	if (*wpid < 0) {
		close(life[1]);
		return -1;
	}
	setpgid(*wpid, pid);        /* both sides, as for the cell */
	return life[1];
}

static void last_log_line(const char *log_path, char *buf, size_t len)
{
	char tail[380];
	int fd;
	off_t end;
	ssize_t n;

	buf[0] = 0;
	if (!log_path || (fd = open(log_path, O_RDONLY)) < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	n = pread(fd, tail, sizeof(tail) - 1, end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0);
	close(fd);
	if (n <= 0)
		return;
	tail[n] = 0;
	while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
		tail[--n] = 0;
	char *nl = strrchr(tail, '\n');
	snprintf(buf, len, "%s", nl ? nl + 1 : tail);
}

static int append(struct run_outcome *o, const char *buf, size_t n, size_t *cap)
{
	if (o->record_len + n + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 4096) + n;
		char *r = realloc(o->record, nc);
		if (!r)
			return -1;
		o->record = r;
		*cap = nc;
	}
	memcpy(o->record + o->record_len, buf, n);
	o->record_len += n;
	o->record[o->record_len] = 0;
	return 0;
}

/* Whether the child has exited, leaving it to be reaped (reap). */
static int exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* Read the record until EOF (or the child's exit), the deadline or Ctrl-C;
 * returns how it ended. */
static enum run_status collect(pid_t pid, int rec_r, double deadline, struct run_outcome *o)
{
	size_t cap = 0;
	char buf[4096];
	struct pollfd pfd = { rec_r, POLLIN, 0 };

	for (;;) {
		if (interrupted) {
			kill(-pid, SIGKILL);
			return RUN_INTERRUPTED;
		}
		double left = deadline - now_s();
		if (left <= 0) {
			kill(-pid, SIGKILL);
			return RUN_TIMEOUT;
		}
		int r = poll(&pfd, 1, left > 0.2 ? 200 : (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			return RUN_ERROR;
		if (r == 0 && exited(pid)) {
			/* the cell is over but something it started still holds
			 * fd 3 (a helper a preload forked): take what is in the
			 * pipe and end the stragglers, rather than wait for them
			 * until the timeout */
			while (poll(&pfd, 1, 0) > 0) {
				ssize_t n = read(rec_r, buf, sizeof(buf));
				if (n <= 0 || append(o, buf, (size_t)n, &cap))
					break;
			}
			kill(-pid, SIGKILL);
			return RUN_OK;
		}
		if (r <= 0)
			continue;
		ssize_t n = read(rec_r, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return RUN_OK;            /* EOF: the child closed fd 3 (exit) */
		if (append(o, buf, (size_t)n, &cap))
			return RUN_ERROR;
	}
}

/* Wait for the child after EOF, still honouring the deadline (a child may
 * close fd 3 and hang, or a grandchild may hold it). */
static enum run_status reap(pid_t pid, double deadline, int *status, struct rusage *ru)
{
	for (;;) {
		pid_t w = wait4(pid, status, WNOHANG, ru);
		if (w == pid)
			return RUN_OK;
		if (w < 0 && errno != EINTR)
			return RUN_ERROR;
		if (interrupted) {
			kill(-pid, SIGKILL);
			wait4(pid, status, 0, ru);
			return RUN_INTERRUPTED;
		}
		if (now_s() >= deadline) {
			kill(-pid, SIGKILL);
			wait4(pid, status, 0, ru);
			return RUN_TIMEOUT;
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int run_exec(char *const argv[], char *const envp[], double timeout_s, const char *log_path,
	     const char *stdout_path, struct run_outcome *o)
{
	int p[2], status = 0;
	double t0 = now_s(), deadline = t0 + timeout_s;
	pid_t pid;
	enum run_status how;

	memset(o, 0, sizeof(*o));
	o->exit_code = -1;
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(o->reason, sizeof(o->reason), "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t runner = getpid(), wpid;
	pid = fork();
	if (pid < 0) {
		snprintf(o->reason, sizeof(o->reason), "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0)
		child(argv, envp, p[1], log_path, stdout_path, runner);
	setpgid(pid, pid);          /* both sides set it: no race with kill(-pid) */
	close(p[1]);
	int life_w = start_watcher(pid, &wpid);
	how = collect(pid, p[0], deadline, o);
	close(p[0]);
	if (how == RUN_OK)
		how = reap(pid, deadline, &status, &o->ru);
	else
		wait4(pid, &status, 0, &o->ru);
	kill(-pid, SIGKILL);        /* stray grandchildren of the cell's group */
	if (life_w >= 0)
		close(life_w);
	if (wpid > 0)
		while (waitpid(wpid, NULL, 0) < 0 && errno == EINTR)
			;
	o->wall_s = now_s() - t0;

	if (how == RUN_TIMEOUT) {
		o->status = RUN_TIMEOUT;
		snprintf(o->reason, sizeof(o->reason), "timeout: killed after %.0f s", timeout_s);
	} else if (how == RUN_INTERRUPTED) {
		o->status = RUN_INTERRUPTED;
		snprintf(o->reason, sizeof(o->reason), "interrupted");
	} else if (how == RUN_ERROR) {
		o->status = RUN_ERROR;
		snprintf(o->reason, sizeof(o->reason), "could not collect the record");
	} else if (WIFSIGNALED(status)) {
		o->status = RUN_CRASHED;
		o->signal = WTERMSIG(status);
		char last[400];
		last_log_line(log_path, last, sizeof(last));
		snprintf(o->reason, sizeof(o->reason), "killed by signal %d (%s)%s%s", o->signal,
			 strsignal(o->signal), last[0] ? ": " : "", last);
	} else {
		o->exit_code = WEXITSTATUS(status);
		o->status = o->exit_code == 0 ? RUN_OK : o->exit_code == 1 ? RUN_FAILED : RUN_ERROR;
		if (o->status != RUN_OK) {
			char last[400];
			last_log_line(log_path, last, sizeof(last));
			snprintf(o->reason, sizeof(o->reason), "exit status %d%s%s", o->exit_code,
				 last[0] ? ": " : "", last);
		}
	}
	return 0;
}

void run_outcome_free(struct run_outcome *o)
{
	free(o->record);
	o->record = NULL;
	o->record_len = 0;
}

void run_outcome_shell(struct run_outcome *o)
{
	if ((o->status != RUN_FAILED && o->status != RUN_ERROR) || o->exit_code <= 128 ||
	    o->exit_code - 128 > SIGRTMAX)
		return;
	char rest[sizeof(o->reason)];
	const char *colon = strstr(o->reason, ": ");
	snprintf(rest, sizeof(rest), "%s", colon ? colon : "");
	o->status = RUN_CRASHED;
	o->signal = o->exit_code - 128;
	snprintf(o->reason, sizeof(o->reason), "killed by signal %d (%s; /bin/sh said exit status %d)%.400s",
		 o->signal, strsignal(o->signal), o->exit_code, rest);
}
