/* login: registers a username of at most 16 characters; guests cannot read the flag. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define FLAG_PATH "/service/flag.txt"

struct account {
    char name[16];
    uint8_t is_guest;
};

static void print_flag(void) {
    char flag[128] = {0};
    FILE *f = fopen(FLAG_PATH, "r");
    if (!f) { puts("flag unavailable"); return; }
    if (fgets(flag, sizeof flag, f)) printf("%s", flag);
    fclose(f);
}

int main(void) {
    struct account acct;
    char line[64];
    acct.is_guest = 1;
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("username (max 16 chars): ");
    if (!fgets(line, sizeof line, stdin)) return 0;
    line[strcspn(line, "\n")] = '\0';
    size_t len = strlen(line);
    if (len > sizeof acct.name) { puts("name too long"); return 0; }  /* status 0: socat may drop output of a failing child */
    memcpy(acct.name, line, len);
    acct.name[len] = '\0';
    printf("welcome, %s\n", acct.name);
    if (!acct.is_guest) print_flag(); else puts("guests cannot read the flag");
    return 0;
}
