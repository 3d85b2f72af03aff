/* vault: greets a user and shows the flag to admins. Built with -fno-stack-protector. */
#include <stdio.h>

#define FLAG_PATH "/service/flag.txt"

struct session {
    char name[16];
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
    struct session s;
    s.is_admin = 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("name: ");
    if (scanf("%s", s.name) != 1) return 0;
    printf("hello %s\n", s.name);
    if (s.is_admin) print_flag(); else puts("access denied: admins only");
    return 0;
}
