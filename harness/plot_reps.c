/* plot_reps.c - the repetitions themselves: one strip chart per family of
 * workloads (reps-<panel>), one small panel per configuration, every
 * repetition of every backend a dot, its median a line across.
 *
 * How it works
 * ------------
 * A median with an interval hides the shape of the sample: nine processes
 * of one cell on a shared machine are often bimodal (two clusters of
 * values a few percent apart), which changes how far a difference between
 * two backends can be trusted.  The dots show it.  Each panel keeps its
 * own linear axis in the run's unit (ns or instructions per operation),
 * because workloads differ by orders of magnitude.  Failed repetitions are
 * not drawn (summary.md lists them).
 */
#include "plot_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double v_primary(const pl_rep *r) { return r->primary; }

/* Writes the block of one configuration; returns the dots written. */
static size_t write_config(const pl_set *s, FILE *f, size_t g, size_t panel)
{
    size_t dots = 0;
    char name[420];
    pl_token(s->configs[g].label, name, sizeof name);
    for (size_t b = 0; b < s->n_backends; b++) {
        const pl_cell *cell = pl_find_cell(s, g, b);
        if (!cell)
            continue;
        char tb[340];
        pl_token(s->backends[b], tb, sizeof tb);
        double med;
        hl_interval iv = pl_cell_interval(cell, v_primary, &med);
        if (!isfinite(med))
            continue;
        for (size_t r = 0; r < cell->n_reps; r++) {
            const pl_rep *rep = &cell->reps[r];
            if (!rep->ok || !(isfinite(rep->primary) && rep->primary > 0))
                continue;
            if (dots == 0)
                fprintf(f, "%spanel backend rep value median lo hi name bname\n",
                        panel ? "\n\n" : "");
            fprintf(f, "%zu %zu %u", panel, b + 1, rep->k);
            pl_put_num(f, rep->primary);
            pl_put_num(f, med);
            pl_put_num(f, iv.n >= 2 ? iv.lo : med);
            pl_put_num(f, iv.n >= 2 ? iv.hi : med);
            fprintf(f, " %s %s\n", name, tb);
            dots++;
        }
    }
    return dots;
}

static void family(pl_ctx *c, size_t p, const char **titles)
{
    pl_set *s = c->set;
    char chart[96];
    snprintf(chart, sizeof chart, "reps-%s", s->panels[p].slug);
    char path[PATH_MAX + 300];
    FILE *f = pl_data_open(c, chart, "reps.gp",
                           "one row per repetition (value), with its cell's median and the "
                           "interval of the median; one block per workload configuration",
                           path, sizeof path);
    if (!f)
        return;
    size_t np = 0, max_reps = 0;
    for (size_t g = 0; g < s->n_configs; g++) {
        if (s->configs[g].panel != p)
            continue;
        if (write_config(s, f, g, np) > 0)
            titles[np++] = s->configs[g].label;
    }
    for (size_t i = 0; i < s->n_cells; i++)
        if (s->configs[s->cells[i].config].panel == p && s->cells[i].n_reps > max_reps)
            max_reps = s->cells[i].n_reps;
    if (!pl_data_close(c, chart, f, path))
        return;
    if (np == 0) {
        pl_skip(c, chart, "no successful repetition in %s", s->panels[p].title);
        return;
    }
    unsigned cols = (unsigned)ceil(sqrt((double)np * 1.6));
    if (cols > np)
        cols = (unsigned)np;
    unsigned rows = (unsigned)((np + cols - 1) / cols);
    pl_args_begin(c, path);
    char buf[4000] = "";
    for (size_t i = 0; i < np; i++) {
        char t[420];
        pl_token(titles[i], t, sizeof t);
        if (strlen(buf) + strlen(t) + 2 < sizeof buf)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", t);
        else
            c->args->overflow = true;
    }
    hl_plot_args_str(c->args, "panels", buf);
    hl_plot_args_num(c->args, "cols", cols);
    hl_plot_args_str(c->args, "unit", s->instr ? "instructions / op" : "ns / op");
    double width = 120 + 250.0 * cols;
    hl_plot_args_num(c->args, "width", width < 560 ? 560 : width);
    hl_plot_args_num(c->args, "height", 170 + 220.0 * rows);
    char title[300], note[600];
    snprintf(title, sizeof title, "Every repetition: %s", s->panels[p].title);
    snprintf(note, sizeof note,
             "One dot per repetition (one process each, %zu at most per cell), the line across "
             "is the median; each panel has its own linear axis in %s. Two clusters of dots in "
             "one cell mean the machine had two states during the run.",
             max_reps, s->instr ? "instructions per operation" : "ns per operation");
    pl_draw(c, chart, "reps.gp", "reps", title, note);
}

void pl_chart_reps(pl_ctx *c)
{
    pl_set *s = c->set;
    const char **titles = calloc(s->n_configs + 1, sizeof *titles);
    if (!titles) {
        pl_skip(c, "reps", "out of memory");
        return;
    }
    for (size_t p = 0; p < s->n_panels; p++)
        family(c, p, titles);
    free(titles);
}
