/*
 * helper_thread.c — threads of ours inside the traced program.
 */
#include "helper_thread.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#define LT_EXPORT __attribute__((visibility("default")))

LT_EXPORT int looptrace_helper_thread(void *(*fn)(void *), void *arg)
{
	pthread_t thread;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* A helper must not trace itself or take signals the program relies on. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* The real pthread_create: the thread is ours, not the program's. */
	__typeof__(pthread_create) *create =
		(__typeof__(pthread_create) *)dlsym(RTLD_NEXT, "pthread_create");
	int rc = create ? create(&thread, &attr, fn, arg) : ENOSYS;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}
