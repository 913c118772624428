// libpq from Debian's libpq-dev (bookworm: PostgreSQL 15's).
#include <libpq-fe.h>
