/* notes: a tiny session-and-notes console. Only admins may read the flag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLAG_PATH "/service/flag.txt"

struct user {
    char name[24];
    int is_admin;
};

static void print_flag(void) {
    char flag[128] = {0};
    FILE *f = fopen(FLAG_PATH, "r");
    if (!f) { puts("flag unavailable"); return; }
    if (fgets(flag, sizeof flag, f)) printf("%s", flag);
    fclose(f);
}

int main(void) {
    struct user *user = NULL;
    char *note = NULL;
    char line[64];
    setvbuf(stdout, NULL, _IONBF, 0);
    puts("commands: login NAME | logout | note TEXT | flag | quit");
    while (printf("> "), fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "login ", 6) == 0) {
            user = malloc(sizeof *user);
            memset(user, 0, sizeof *user);
            strncpy(user->name, line + 6, sizeof user->name - 1);
            printf("logged in as %s (guest)\n", user->name);
        } else if (strcmp(line, "logout") == 0 && user) {
            free(user);  /* the pointer is kept: a later command still uses it */
            puts("logged out");
        } else if (strncmp(line, "note ", 5) == 0) {
            note = malloc(32);
            memset(note, 0, 32);
            strncpy(note, line + 5, 31);
            puts("note saved");
        } else if (strcmp(line, "flag") == 0) {
            if (user && user->is_admin) print_flag(); else puts("admins only");
        } else if (strcmp(line, "quit") == 0) {
            break;
        } else {
            puts("unknown command");
        }
    }
    return 0;
}
