#include <stdlib.h>
#include <string.h>

#include "pkt.h"

#define git__malloc malloc
#define git__free free
#define GITERR_NET 0
#define GITERR_CHECK_ALLOC(ptr) \
    if ((ptr) == NULL) { return -1; }
#define GITERR_CHECK_ALLOC_ADD(out, one, two) \
    if ((*(out) = (one) + (two)) < (one)) { return -1; }

static void giterr_set(int klass, const char *message) {
    (void)klass;
    relay_error(message);
}

static int ok_pkt(git_pkt **out, const char *line, size_t len) {
    git_pkt_ok *pkt = malloc(sizeof(*pkt));
    if (pkt == NULL || len < 4) {
        free(pkt);
        return -1;
    }
    pkt->type = GIT_PKT_OK;
    pkt->ref = strndup(line + 3, len - 3);
    pkt->ref[strcspn(pkt->ref, "\n")] = '\0';
    *out = (git_pkt *)pkt;
    return 0;
}

// @@sven:ng_pkt@@

int git_pkt_parse(git_pkt **out, const char *line, size_t len) {
    if (len >= 3 && memcmp(line, "ok ", 3) == 0) {
        return ok_pkt(out, line, len);
    }
    if (len >= 3 && memcmp(line, "ng ", 3) == 0) {
        return ng_pkt(out, line, len);
    }
    giterr_set(GITERR_NET, "unexpected packet");
    return -1;
}
