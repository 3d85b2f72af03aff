/* echo: repeats each line it receives. The flag is loaded into memory at start-up. */
#include <stdio.h>
#include <string.h>

#define FLAG_PATH "/service/flag.txt"

int main(void) {
    char secret[64] = {0};
    char line[256];
    FILE *f = fopen(FLAG_PATH, "r");
    if (!f) { puts("flag unavailable"); return 0; }
    if (!fgets(secret, sizeof secret, f)) { fclose(f); return 0; }
    fclose(f);
    secret[strcspn(secret, "\n")] = '\0';
    setvbuf(stdout, NULL, _IONBF, 0);
    puts("echo service: type a line, get it back");
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        printf(line);
        putchar('\n');
    }
    return 0;
}
