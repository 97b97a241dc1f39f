/*
 * native_sampler.c — stack samples of long native callbacks (see
 * native_sampler.h).
 *
 * The handler only reads the clock, calls backtrace() (warmed up when the
 * thread's timer is made: its first call loads libgcc_s) and writes the
 * thread's own buffer; the thread reads the buffer after clearing
 * in_dispatch, with a signal fence between, so a handler that runs then
 * sees the dispatch over and keeps nothing.
 */
#include "native_sampler.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "capture.h"

#define LT_EXPORT __attribute__((visibility("default")))
/* The library is preloaded, never dlopen'd: its TLS is static, and the
 * handler must not reach __tls_get_addr's lazy allocation. */
#define SIGNAL_SAFE_TLS __attribute__((tls_model("initial-exec")))

#define TICK_NS 2000000L /* the handler runs every 2 ms of the thread's CPU */
/* Wall time between samples of one callback: 5 ms, doubling after every
 * 4 samples, at most 200 ms (a long callback is covered to its end). */
#define FIRST_GAP_NS 5000000u
#define MAX_GAP_NS 200000000u
#define MAX_TIMERS 256

struct sample {
	uint64_t ts, busy_ns;
	int n;
	uintptr_t frames[LT_SAMPLER_FRAMES];
};

enum { UNARMED = 0, ARMED = 1, OFF = 2 };

static SIGNAL_SAFE_TLS _Thread_local struct {
	int state;
	timer_t timer;
	volatile sig_atomic_t in_dispatch;
	uint64_t begin_ns, next_ns, gap_ns;
	volatile int n;
	struct sample samples[LT_SAMPLER_MAX];
} tls;

/* Process-wide: the handler (installed once), the threshold, the timers
 * (deleted all at once when the program takes SIGPROF for itself). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static int installed;           /* 1: our handler is SIGPROF's */
static volatile int yielded;    /* the program installed its own SIGPROF handler */
static uint64_t threshold_ns;
static timer_t timers[MAX_TIMERS];
static int n_timers;

static uintptr_t interrupted_pc(const void *context)
{
	const ucontext_t *uc = context;
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.pc;
#else
	(void)uc;
	return 0;
#endif
}

static void on_sigprof(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	if (info->si_code != SI_TIMER || !tls.in_dispatch || tls.n >= LT_SAMPLER_MAX)
		return;
	int saved = errno;
	uint64_t now = lt_now_ns();
	uint64_t busy = now - tls.begin_ns;
	if (busy >= threshold_ns && now >= tls.next_ns) {
		void *raw[LT_SAMPLER_FRAMES + 8];
		int k = backtrace(raw, (int)(sizeof(raw) / sizeof(raw[0])));
		uintptr_t pc = interrupted_pc(context);
		/* Skip the handler and the signal trampoline: the unwinder gives
		 * the interrupted instruction itself as the frame after them. */
		int from = 0;
		while (from < k && (uintptr_t)raw[from] != pc)
			from++;
		if (from == k)
			from = pc ? k : 2; /* unwinding stopped at the trampoline */
		struct sample *s = &tls.samples[tls.n];
		int n = 0;
		if (pc)
			s->frames[n++] = pc;
		for (int i = from + 1; i < k && n < LT_SAMPLER_FRAMES; i++)
			s->frames[n++] = (uintptr_t)raw[i];
		s->n = n;
		s->ts = now;
		s->busy_ns = busy;
		tls.n++;
		if (tls.n % 4 == 0 && tls.gap_ns < MAX_GAP_NS)
			tls.gap_ns *= 2;
		tls.next_ns = now + tls.gap_ns;
	}
	errno = saved;
}

static void forget_timer(void *unused)
{
	(void)unused;
	if (tls.state != ARMED)
		return;
	tls.state = OFF;
	pthread_mutex_lock(&lock);
	int live = !yielded;
	for (int i = 0; i < n_timers; i++)
		if (timers[i] == tls.timer) {
			timers[i] = timers[--n_timers];
			break;
		}
	pthread_mutex_unlock(&lock);
	if (live)
		timer_delete(tls.timer);
}

/* A fork child has no timers (POSIX timers are not inherited): its one
 * thread arms again at its next dispatch. */
static void after_fork_child(void)
{
	n_timers = 0;
	tls.state = UNARMED;
	tls.in_dispatch = 0;
	tls.n = 0;
}

static void setup(void)
{
	const char *v = getenv("LOOPTRACE_SAMPLE_MS");
	long ms = v && *v ? strtol(v, NULL, 10) : 40;
	if (ms <= 0)
		return;
	threshold_ns = (uint64_t)ms * 1000000u;
	struct sigaction old;
	if (sigaction(SIGPROF, NULL, &old) || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
		return; /* SIGPROF is the program's */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigprof;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (pthread_key_create(&exit_key, forget_timer) || pthread_atfork(NULL, NULL, after_fork_child))
		return;
	if (sigaction(SIGPROF, &sa, NULL) == 0)
		installed = 1;
}

static int list_timer(timer_t timer)
{
	pthread_mutex_lock(&lock);
	int listed = n_timers < MAX_TIMERS && !yielded;
	if (listed)
		timers[n_timers++] = timer;
	pthread_mutex_unlock(&lock);
	return listed ? 0 : -EBUSY;
}

static void unlist_timer(timer_t timer)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < n_timers; i++)
		if (timers[i] == timer) {
			timers[i] = timers[--n_timers];
			break;
		}
	pthread_mutex_unlock(&lock);
}

/* Give the calling thread its CPU-clock timer. */
static void arm(void)
{
	tls.state = OFF;
	pthread_once(&setup_once, setup);
	if (!installed || yielded)
		return;
	void *warm[4];
	(void)backtrace(warm, 4);
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGPROF;
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	timer_t timer;
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &timer))
		return;
	if (list_timer(timer))
		goto delete_timer;
	if (pthread_setspecific(exit_key, &tls))
		goto unlist_timer;
	struct itimerspec every = {{0, TICK_NS}, {0, TICK_NS}};
	if (timer_settime(timer, 0, &every, NULL))
		goto unlist_timer;
	tls.timer = timer;
	tls.state = ARMED;
	return;
unlist_timer:
	unlist_timer(timer);
delete_timer:
	timer_delete(timer);
}

void lt_native_sampler_begin(void)
{
	if (tls.state == UNARMED)
		arm();
	if (tls.state != ARMED)
		return;
	tls.n = 0;
	tls.begin_ns = lt_now_ns();
	tls.next_ns = 0;
	tls.gap_ns = FIRST_GAP_NS;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	tls.in_dispatch = 1;
}

void lt_native_sampler_end(lt_sample_writer write_sample)
{
	if (tls.state != ARMED)
		return;
	tls.in_dispatch = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	int n = tls.n;
	for (int i = 0; i < n; i++)
		write_sample(tls.samples[i].frames, tls.samples[i].n, tls.samples[i].ts, tls.samples[i].busy_ns);
	tls.n = 0;
}

int lt_native_sampler_on(void) { return tls.state == ARMED; }

/* --- the program takes SIGPROF: our timers go first --- */

static void yield_sigprof(void)
{
	pthread_mutex_lock(&lock);
	if (!yielded) {
		yielded = 1;
		for (int i = 0; i < n_timers; i++)
			timer_delete(timers[i]);
		n_timers = 0;
	}
	pthread_mutex_unlock(&lock);
}

LT_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	static __typeof__(sigaction) *real_sigaction;
	if (!real_sigaction)
		real_sigaction = (__typeof__(sigaction) *)dlsym(RTLD_NEXT, "sigaction");
	if (sig == SIGPROF && act && installed && act->sa_sigaction != on_sigprof)
		yield_sigprof();
	return real_sigaction(sig, act, old);
}

LT_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	static __typeof__(signal) *real_signal;
	if (!real_signal)
		real_signal = (__typeof__(signal) *)dlsym(RTLD_NEXT, "signal");
	if (sig == SIGPROF && installed)
		yield_sigprof();
	return real_signal(sig, handler);
}
