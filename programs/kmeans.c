/*
 * kmeans.c - the `kmeans` command: dispatch to a subcommand, help and
 * version.  Each subcommand lives in its own cmd_*.c file.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command *const commands[] = {
    &cli_cmd_fit,
    &cli_cmd_predict,
    &cli_cmd_transform,
    &cli_cmd_score,
    &cli_cmd_info,
    &cli_cmd_centers,
    &cli_cmd_demo,
    &cli_cmd_silhouette,
    &cli_cmd_elbow,
    &cli_cmd_choose_k,
    &cli_cmd_segment,
    &cli_cmd_classify,
    &cli_cmd_representatives,
    &cli_cmd_propagate,
    &cli_cmd_semisupervised,
    &cli_cmd_minibatch,
    &cli_cmd_partial_fit,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    }
    return NULL;
}

static void print_overview(FILE *fp)
{
    fprintf(fp, "usage: kmeans COMMAND [arguments] [options]\n\n"
                "K-Means clustering of CSV and NumPy .npy data.\n\n"
                "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(fp, "  %-15s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(fp, "  %-15s %s\n", "help", "show help for a command");
    fprintf(fp, "\n'kmeans help COMMAND' or 'kmeans COMMAND --help' lists a "
                "command's options.\n"
                "'kmeans --version' prints the version.\n"
                "Exit status: 0 success, 1 failure (writing output, internal), "
                "2 bad usage or input.\n");
}

static int help_command(int argc, char **argv)
{
    const cli_command *cmd;

    if (argc < 2) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2)
        return cli_usage(NULL, "help: expected one command name, got %d",
                         argc - 1);
    if (strcmp(argv[1], "help") == 0) {
        print_overview(stdout);
        return CLI_EXIT_OK;
    }
    cmd = find_command(argv[1]);
    if (cmd == NULL)
        return cli_usage(NULL, "help: unknown command '%s' (see 'kmeans help')",
                         argv[1]);
    cli_print_help(cmd, stdout);
    return CLI_EXIT_OK;
}

/* Output sent to a closed pipe or a full disk must not exit 0. */
static int finish_stdout(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        cli_error(NULL, "error writing standard output: %s",
                  e ? strerror(e) : "write failed");
        return rc == CLI_EXIT_OK ? CLI_EXIT_FAIL : rc;
    }
    return rc;
}

/* --help anywhere before "--" shows help, whatever else is wrong with the
   command line (as git and most GNU tools do). */
static bool asks_for_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    const cli_command *cmd;
    const char *name;

    if (argc < 2) {
        print_overview(stderr);
        return CLI_EXIT_USAGE;
    }
    name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("kmeans %s (libkmeans %s)\n", KM_VERSION_STRING, km_version());
        return finish_stdout(CLI_EXIT_OK);
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_overview(stdout);
        return finish_stdout(CLI_EXIT_OK);
    }
    if (strcmp(name, "help") == 0)
        return finish_stdout(help_command(argc - 1, argv + 1));

    cmd = find_command(name);
    if (cmd == NULL) {
        if (name[0] == '-')
            return cli_usage(NULL,
                             "unknown option '%s' (expected a command; see "
                             "'kmeans help')",
                             name);
        return cli_usage(NULL, "unknown command '%s' (see 'kmeans help')",
                         name);
    }
    if (asks_for_help(argc - 1, argv + 1)) {
        cli_print_help(cmd, stdout);
        return finish_stdout(CLI_EXIT_OK);
    }
    return finish_stdout(cmd->run(cmd, argc - 1, argv + 1));
}
