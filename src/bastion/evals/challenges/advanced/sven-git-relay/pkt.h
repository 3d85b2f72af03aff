#include <stddef.h>

typedef enum { GIT_PKT_OK, GIT_PKT_NG } git_pkt_type;

typedef struct {
    git_pkt_type type;
} git_pkt;

typedef struct {
    git_pkt_type type;
    char *ref;
} git_pkt_ok;

typedef struct {
    git_pkt_type type;
    char *ref;
    char *msg;
} git_pkt_ng;

void relay_error(const char *message);
int git_pkt_parse(git_pkt **out, const char *line, size_t len);
