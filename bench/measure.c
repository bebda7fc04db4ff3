/* Runs one command and measures it: exit status, wall time, peak RSS (wait4's ru_maxrss) and CPU
 * time (user and system).
 *
 *   volumecli-bench-measure RESULT_FILE PROGRAM [ARGS...]
 *
 * writes "exit wall_ms rss_kib cpu_ms" to RESULT_FILE (exit is 128+N when signal N ended the command);
 * the command inherits stdin, stdout and stderr. Exits 0 when it measured, 1 otherwise.
 *
 * Why a program of its own: a child's ru_maxrss counts the peak RSS of the address space it
 * leaves at exec. A child of posix_spawn (vfork) leaves its parent's, and one of fork a copy of
 * it, so a command started by volumecli-bench-worst-case, which holds replies of up to 31 MiB,
 * would be charged for them (measured: `dvdcli version`, 2.5 MiB alone, showed 70 MiB). This
 * small process, started fresh by exec, is the parent instead; its own ~1 MiB is below any
 * dvdcli's peak. A command still running after 90 s is killed. */

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static const unsigned k_watchdog_seconds = 90;
static volatile pid_t g_child = 0;

static void kill_child(int signal_number)
{
    (void)signal_number;
    if (g_child > 0) {
        kill(g_child, SIGKILL);
    }
}

static double milliseconds(struct timeval time)
{
    return (double)time.tv_sec * 1000.0 + (double)time.tv_usec / 1000.0;
}

static double now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1000.0 + (double)now.tv_nsec / 1e6;
}

int main(int argc, char** argv)
{
    if (argc < 3) {
        fputs("usage: volumecli-bench-measure RESULT_FILE PROGRAM [ARGS...]\n", stderr);
        return 1;
    }
    struct sigaction on_alarm;
    memset(&on_alarm, 0, sizeof on_alarm);
    on_alarm.sa_handler = kill_child;
    sigaction(SIGALRM, &on_alarm, NULL);

    const double start = now_ms();
    pid_t child = 0;
    const int rc = posix_spawn(&child, argv[2], NULL, NULL, argv + 2, environ);
    if (rc != 0) {
        fprintf(stderr, "volumecli-bench-measure: cannot start %s: %s\n", argv[2], strerror(rc));
        return 1;
    }
    g_child = child;
    alarm(k_watchdog_seconds);
    int status = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof usage);
    pid_t waited;
    do {
        waited = wait4(child, &status, 0, &usage);
    } while (waited == -1 && errno == EINTR);
    const double end = now_ms();
    alarm(0);
    if (waited != child) {
        fprintf(stderr, "volumecli-bench-measure: wait4: %s\n", strerror(errno));
        return 1;
    }

    FILE* result = fopen(argv[1], "w");
    if (result == NULL) {
        fprintf(stderr, "volumecli-bench-measure: cannot write %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    const int exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(result, "%d %.1f %ld %.1f\n", exit_status, end - start, usage.ru_maxrss,
            milliseconds(usage.ru_utime) + milliseconds(usage.ru_stime));
    return fclose(result) == 0 ? 0 : 1;
}
