/*
 * run_count_proc.c - the report of each process that loads a counting
 * library (the lines are described in run_count.h; run_count.c counts).
 *
 * Processes. The constructor writes the start line, a destructor the end
 * line at exit. _exit and _Exit are wrapped (programs that leave without
 * exit), and so is the exec family: the image that execs ends there, and
 * the new image loads the library again and starts a new incarnation under
 * the same pid. fork is wrapped so that the child starts from zero counters
 * and nano's counters as they were at the fork (it inherits the parent's),
 * with a start line of its own. A child made with vfork or posix_spawn
 * shares the parent's memory until it execs: the wrappers see a pid that is
 * not this incarnation's and write nothing there.
 *
 * Which malloc the process bound. dladdr(dlsym(RTLD_DEFAULT, "malloc")) names
 * the file of the definition the loader's global lookup finds, except when
 * the main program is not position-independent and takes malloc's address:
 * then the answer is the program's own PLT entry, and the loader's search
 * order is walked for the first object whose symbol table defines malloc.
 *
 * Writing. Lines are built in a stack buffer without stdio or malloc and
 * appended with one write(2) on a descriptor opened for that line only (a
 * program may close or reuse any descriptor).
 */
#include "run_count_int.h"
#include "nano.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * The report's lines
 * ---------------------------------------------------------------------- */

struct line {
	char buf[4096];
	size_t n;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->n < sizeof(l->buf) - 2)
		l->buf[l->n++] = *s++;
}

static void put_u64(struct line *l, uint64_t v)
{
	char tmp[24];
	int i = (int)sizeof(tmp) - 1;
	tmp[i] = 0;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(l, tmp + i);
}

/* " key=number" */
static void put_num(struct line *l, const char *key, uint64_t v)
{
	put(l, " ");
	put(l, key);
	put(l, "=");
	put_u64(l, v);
}

/* " key=text", percent-encoding space, percent and line breaks */
static void put_text(struct line *l, const char *key, const char *s)
{
	put(l, " ");
	put(l, key);
	put(l, "=");
	for (; s && *s && l->n < sizeof(l->buf) - 5; s++) {
		if (*s == ' ' || *s == '%' || *s == '\n' || *s == '\r' || *s == '\t') {
			static const char hex[] = "0123456789ABCDEF";
			l->buf[l->n++] = '%';
			l->buf[l->n++] = hex[(unsigned char)*s >> 4];
			l->buf[l->n++] = hex[(unsigned char)*s & 15];
		} else {
			l->buf[l->n++] = *s;
		}
	}
}

static char report_path[4096];

static void emit(struct line *l)
{
	int saved = errno;
	l->buf[l->n++] = '\n';
	int fd = open(report_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t w = write(fd, l->buf, l->n);
		(void)w;
		close(fd);
	}
	errno = saved;
}

/* ------------------------------------------------------------------------
 * This incarnation: who it is, and nano's figures when nano serves it
 * ---------------------------------------------------------------------- */

typedef void (*nano_settings_fn)(struct nano_settings *);
typedef void (*nano_totals_fn)(struct nano_totals *);

static struct {
	pid_t pid;                      /* 0: no report for this process */
	uint64_t t;                     /* start, CLOCK_MONOTONIC ns */
	nano_settings_fn nano_settings;
	nano_totals_fn nano_totals;
	uint64_t nano_small0, nano_served0;     /* at the fork that made us */
	char bound[1024], target[1024], exe[1024];
} self;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void file_of(const void *addr, char *out, size_t n)
{
	Dl_info info;
	out[0] = 0;
	if (addr && dladdr(addr, &info) && info.dli_fname)
		strncpy(out, info.dli_fname, n - 1);
	out[n - 1] = 0;
}

/* Whether addr is where the object named file (any object when NULL)
 * defines malloc: not an undefined symbol with an address, which is what a
 * main program that is not position-independent has for a function whose
 * address it takes (its PLT entry stands for the function everywhere). */
static int defines_malloc(const void *addr, const char *file)
{
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	if (!addr || !dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
		return 0;
	if (sym->st_shndx == SHN_UNDEF || !info.dli_sname || strcmp(info.dli_sname, "malloc"))
		return 0;
	return !file || (info.dli_fname && !strcmp(info.dli_fname, file));
}

/* The symbol NAME as the object lm defines it (its GNU hash table), or NULL
 * when lm does not define it. Only for objects ld.so loaded from a file:
 * their dynamic section's addresses are relocated in place. */
static const ElfW(Sym) *object_defines(const struct link_map *lm, const char *name)
{
	const uint32_t *gh = NULL;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	uint32_t h = 5381;

	for (const ElfW(Dyn) *d = lm->l_ld; d && d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_GNU_HASH)
			gh = (const uint32_t *)d->d_un.d_ptr;
		else if (d->d_tag == DT_SYMTAB)
			symtab = (const ElfW(Sym) *)d->d_un.d_ptr;
		else if (d->d_tag == DT_STRTAB)
			strtab = (const char *)d->d_un.d_ptr;
	}
	if (!gh || !symtab || !strtab)
		return NULL;
	for (const char *c = name; *c; c++)
		h = h * 33 + (unsigned char)*c;
	uint32_t nbuckets = gh[0], symoffset = gh[1], bloom_words = gh[2];
	const ElfW(Addr) *bloom = (const ElfW(Addr) *)(gh + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + bloom_words);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t i = nbuckets ? buckets[h % nbuckets] : 0;
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t ch = chain[i - symoffset];
		const ElfW(Sym) *sym = &symtab[i];
		if ((ch | 1) == (h | 1) && !strcmp(strtab + sym->st_name, name))
			return sym->st_shndx != SHN_UNDEF ? sym : NULL;
		if (ch & 1)
			return NULL;
	}
}

/* The file whose malloc the process's calls reach: the first object in the
 * loader's search order (the program, the preloads, then the libraries
 * they need) that defines malloc. dladdr(dlsym(RTLD_DEFAULT, "malloc"))
 * answers that directly unless the main program is not
 * position-independent and takes malloc's address: its PLT entry then
 * stands for malloc everywhere, an undefined symbol with an address, and
 * the search order is walked instead. */
static void bound_file(char *out, size_t n)
{
	void *addr = dlsym(RTLD_DEFAULT, "malloc");
	struct link_map *lm = NULL;
	void *main_handle;

	strncpy(out, "?", n - 1);
	if (defines_malloc(addr, NULL)) {
		file_of(addr, out, n);
		if (!strchr(out, '/'))      /* the main program defines it */
			strncpy(out, self.exe, n - 1);
		return;
	}
	main_handle = dlopen(NULL, RTLD_LAZY);
	if (!main_handle || dlinfo(main_handle, RTLD_DI_LINKMAP, &lm) || !lm)
		return;
	if (object_defines(lm, "malloc")) {
		strncpy(out, self.exe, n - 1);
		return;
	}
	for (lm = lm->l_next; lm; lm = lm->l_next) {
		/* objects loaded from a file (not the vDSO) */
		if (lm->l_name && strchr(lm->l_name, '/') && object_defines(lm, "malloc")) {
			strncpy(out, lm->l_name, n - 1);
			return;
		}
	}
}

static void nano_now(uint64_t *small, uint64_t *served)
{
	struct nano_totals t;
	*small = *served = 0;
	if (!self.nano_totals)
		return;
	self.nano_totals(&t);
	*small = t.small_requests;
	*served = t.all.allocs;
}

static void write_start(const char *how)
{
	struct line l = { .n = 0 };
	put(&l, "start");
	put_num(&l, "pid", (uint64_t)self.pid);
	put_num(&l, "ppid", (uint64_t)getppid());
	put_num(&l, "t", self.t);
	put_text(&l, "how", how);
	put_text(&l, "bound", self.bound);
	put_text(&l, "target", self.target);
	put_text(&l, "exe", self.exe);
	emit(&l);
}

/* VmHWM from /proc/self/status, KiB (0 when unreadable). */
static uint64_t vmhwm_kib(void)
{
	char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strstr(buf, "VmHWM:");
	uint64_t v = 0;
	if (!p)
		return 0;
	for (p += 6; *p == ' ' || *p == '\t'; p++)
		;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

static void write_end(const char *how)
{
	struct line l = { .n = 0 };
	struct run_count_sums c;

	/* no report, or a vfork/posix_spawn child running in our memory */
	if (!self.pid || !report_path[0] || (pid_t)syscall(SYS_getpid) != self.pid)
		return;
	run_count_sum(&c);
	put(&l, "end");
	put_num(&l, "pid", (uint64_t)self.pid);
	put_num(&l, "t", self.t);
	put_num(&l, "t_end", now_ns());
	put_text(&l, "how", how);
	put_num(&l, "allocs", c.allocs);
	put_num(&l, "frees", c.frees);
	put_num(&l, "reallocs", c.reallocs);
	put_num(&l, "bypass", c.bypass);
	put_num(&l, "bypass_small", c.bypass_small);
	put_num(&l, "vmhwm_kib", vmhwm_kib());
	if (self.nano_settings) {
		struct nano_settings s;
		uint64_t small, served;
		memset(&s, 0, sizeof(s));
		self.nano_settings(&s);
		nano_now(&small, &served);
		put_text(&l, "nano_front", s.front ? s.front : "");
		put_text(&l, "nano_reason", s.front_reason ? s.front_reason : "");
		put_num(&l, "nano_small", small - self.nano_small0);
		put_num(&l, "nano_served", served - self.nano_served0);
	}
	emit(&l);
}

__attribute__((constructor(101)))
static void count_start(void)
{
	const char *path = getenv(RUN_COUNT_ENV);
	run_count_ready();
	if (!path || !path[0] || strlen(path) >= sizeof(report_path))
		return;
	strcpy(report_path, path);
	self.pid = (pid_t)syscall(SYS_getpid);
	self.t = now_ns();
	ssize_t n = readlink("/proc/self/exe", self.exe, sizeof(self.exe) - 1);
	self.exe[n > 0 ? n : 0] = 0;
	self.nano_settings = (nano_settings_fn)dlsym(RTLD_DEFAULT, "nano_get_settings");
	self.nano_totals = (nano_totals_fn)dlsym(RTLD_DEFAULT, "nano_stats_totals");
	bound_file(self.bound, sizeof(self.bound));
	file_of(run_count_target(), self.target, sizeof(self.target));
	write_start("load");
}

__attribute__((destructor))
static void count_exit(void)
{
	write_end("exit");
}

/* ------------------------------------------------------------------------
 * fork, exec and _exit
 * ---------------------------------------------------------------------- */

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

EXPORT pid_t fork(void)
{
	static pid_t (*real)(void);
	uint64_t small = 0, served = 0;
	if (!real)
		real = (pid_t(*)(void))next("fork");
	if (self.pid)
		nano_now(&small, &served);
	pid_t r = real();
	if (r == 0 && self.pid) {
		run_count_zero();
		self.pid = (pid_t)syscall(SYS_getpid);
		self.t = now_ns();
		self.nano_small0 = small;
		self.nano_served0 = served;
		write_start("fork");
	}
	return r;
}

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	static execve_fn real;
	if (!real)
		real = (execve_fn)next("execve");
	write_end("exec");
	return real(path, argv, envp);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	static execve_fn real;
	if (!real)
		real = (execve_fn)next("execvpe");
	write_end("exec");
	return real(file, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	static execv_fn real;
	if (!real)
		real = (execv_fn)next("execv");
	write_end("exec");
	return real(path, argv);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	static execv_fn real;
	if (!real)
		real = (execv_fn)next("execvp");
	write_end("exec");
	return real(file, argv);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	static int (*real)(int, char *const[], char *const[]);
	if (!real)
		real = (int (*)(int, char *const[], char *const[]))next("fexecve");
	write_end("exec");
	return real(fd, argv, envp);
}

/* execl, execlp, execle: the arguments gathered into a vector on the stack,
 * then the vector form above. */
#define GATHER(arg0, ap, argv, envp_out)                                               \
	size_t n_ = 1;                                                                  \
	va_start(ap, arg0);                                                             \
	while (va_arg(ap, const char *))                                               \
		n_++;                                                                   \
	va_end(ap);                                                                     \
	const char *argv[n_ + 1];                                                       \
	argv[0] = arg0;                                                                 \
	va_start(ap, arg0);                                                             \
	for (size_t i_ = 1; i_ <= n_; i_++)                                             \
		argv[i_] = va_arg(ap, const char *);                                   \
	envp_out;                                                                       \
	va_end(ap)

EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	GATHER(arg, ap, argv, (void)0);
	return execv(path, (char *const *)argv);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	GATHER(arg, ap, argv, (void)0);
	return execvp(file, (char *const *)argv);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char *const *envp;
	GATHER(arg, ap, argv, envp = va_arg(ap, char *const *));
	return execve(path, (char *const *)argv, envp);
}

EXPORT void _exit(int status)
{
	write_end("_exit");
	for (;;)
		syscall(SYS_exit_group, status);
}

EXPORT void _Exit(int status)
{
	_exit(status);
}
