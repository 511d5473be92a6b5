/*
 * cli_progress.c - a one-line progress bar on stderr for long runs.
 *
 * Drawn only when stderr is a terminal (isatty), so logs and pipes get
 * nothing; redrawn at most 10 times a second whatever the update rate (a
 * terminal write per mini-batch step would cost more than the step); the
 * line is cleared at the end so the final summary starts on a clean line.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define BAR_WIDTH 24

void cli_progress_start(cli_progress *p, const char *label, int64_t total,
                        const char *value_name)
{
    memset(p, 0, sizeof *p);
    p->active = isatty(fileno(stderr)) != 0;
    p->label = label;
    p->value_name = value_name;
    p->total = total > 0 ? total : 0;
    p->t0 = cli_now();
    p->last = -1.0;
}

void cli_progress_update(cli_progress *p, int64_t done, double value)
{
    double now, elapsed, rate, frac;
    char bar[BAR_WIDTH + 1];
    int filled, len;

    if (!p->active)
        return;
    now = cli_now();
    if (p->last >= 0.0 && now - p->last < 0.1)
        return;
    p->last = now;
    elapsed = now - p->t0;
    rate = elapsed > 0.0 ? (double)done / elapsed : 0.0;
    frac = p->total > 0 ? (double)done / (double)p->total : 0.0;
    if (frac > 1.0)
        frac = 1.0;
    filled = (int)(frac * BAR_WIDTH + 0.5);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    len = fprintf(stderr, "\r%s [%s] %lld/%lld, %s %.6g, %.0f/s", p->label, bar,
                  (long long)done, (long long)p->total,
                  p->value_name ? p->value_name : "value", value, rate);
    /* blank out what a longer previous line left */
    if (len > 0 && len < p->width)
        fprintf(stderr, "%*s", p->width - len, "");
    if (len > p->width)
        p->width = len;
    fflush(stderr);
    p->drawn = true;
}

void cli_progress_end(cli_progress *p)
{
    if (p->active && p->drawn) {
        fprintf(stderr, "\r%*s\r", p->width, "");
        fflush(stderr);
    }
    p->drawn = false;
}
