// libnghttp2 from Debian's libnghttp2-dev (bookworm: 1.52, the mem_recv / mem_send API).
#include <nghttp2/nghttp2.h>
