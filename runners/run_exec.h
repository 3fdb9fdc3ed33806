/*
 * run_exec.h - run one cell in a child process and say what became of it.
 *
 * Owns: process plumbing. The child gets a clean environment made by the
 * caller, core dumps off, its own process group (so a timeout kills every
 * thread and grandchild), stdout and stderr into a log file, and the record
 * pipe as file descriptor 3. The group dies with the runner, even when the
 * runner is killed with SIGKILL (PR_SET_PDEATHSIG and a watcher process). The parent waits with a deadline, watching for
 * Ctrl-C, and collects the record (or, for an external program, the
 * process's own resource usage).
 */
#ifndef RUN_EXEC_H
#define RUN_EXEC_H

#include <stddef.h>
#include <sys/resource.h>

enum run_status {
	RUN_OK = 0,
	RUN_FAILED,          /* exit status 1, or a record that says failed */
	RUN_CRASHED,         /* killed by a signal */
	RUN_TIMEOUT,         /* killed at the deadline */
	RUN_INTERRUPTED,     /* Ctrl-C while it ran */
	RUN_ERROR,           /* bad usage (exit 2) or could not start */
};

const char *run_status_name(enum run_status s);

struct run_outcome {
	enum run_status status;
	int exit_code;               /* -1 when killed */
	int signal;
	double wall_s;
	struct rusage ru;            /* the child's (wait4) */
	char reason[512];
	char *record;                /* what the child wrote on fd 3 (malloc'ed) */
	size_t record_len;
};

/* The record pipe's number in the child. */
#define RUN_RECORD_FD 3

/* Run argv[0] with envp; stdout/stderr appended to log_path (NULL: /dev/null).
 * stdout_path, when set, gets the child's stdout alone (for output checks).
 * Returns 0 when the child ran (see o->status), -1 when it could not start. */
int run_exec(char *const argv[], char *const envp[], double timeout_s, const char *log_path,
	     const char *stdout_path, struct run_outcome *o);
void run_outcome_free(struct run_outcome *o);

/* A command run under /bin/sh: an exit status of 128+N (N a signal) is how
 * the shell reports a child killed by signal N, so the outcome becomes
 * RUN_CRASHED with that signal. Other outcomes are left alone. */
void run_outcome_shell(struct run_outcome *o);

/* Ctrl-C: install a SIGINT/SIGTERM handler that only sets a flag; run_exec
 * stops the running cell when it is set. */
void run_exec_catch_signals(void);
int run_exec_interrupted(void);

#endif
