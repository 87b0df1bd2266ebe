#include "integrations/redis/asio_adapter.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <hiredis/async.h>

#include <memory>

namespace asio = boost::asio;

namespace triage::integrations::redis {
namespace {

// runs on: the connection's executor.
struct watch : std::enable_shared_from_this<watch> {
    watch(redisAsyncContext* c, const asio::any_io_executor& ex) : ac(c), fd(ex, c->c.fd) {}

    redisAsyncContext* ac;  // null once hiredis has cleaned up
    asio::posix::stream_descriptor fd;
    bool want_read = false;
    bool want_write = false;
    bool read_armed = false;
    bool write_armed = false;
    std::shared_ptr<watch> self;  // hiredis holds the watch alive until cleanup

    void arm_read() {
        if (read_armed || !ac) return;
        read_armed = true;
        fd.async_wait(asio::posix::stream_descriptor::wait_read,
                      [w = shared_from_this()](boost::system::error_code ec) {
                          w->read_armed = false;
                          if (ec || !w->ac || !w->want_read) return;
                          // May free the context (and run cleanup) when the server hung up.
                          redisAsyncHandleRead(w->ac);
                          if (w->ac && w->want_read) w->arm_read();
                      });
    }
    void arm_write() {
        if (write_armed || !ac) return;
        write_armed = true;
        fd.async_wait(asio::posix::stream_descriptor::wait_write,
                      [w = shared_from_this()](boost::system::error_code ec) {
                          w->write_armed = false;
                          if (ec || !w->ac || !w->want_write) return;
                          redisAsyncHandleWrite(w->ac);
                          if (w->ac && w->want_write) w->arm_write();
                      });
    }
};

watch* of(void* p) { return static_cast<watch*>(p); }

void add_read(void* p) { auto* w = of(p); w->want_read = true; w->arm_read(); }
void del_read(void* p) { of(p)->want_read = false; }
void add_write(void* p) { auto* w = of(p); w->want_write = true; w->arm_write(); }
void del_write(void* p) { of(p)->want_write = false; }
void cleanup(void* p) {
    auto* w = of(p);
    w->ac = nullptr;
    w->want_read = w->want_write = false;
    // hiredis closes the descriptor itself; release() hands it back without closing and
    // cancels our pending waits.
    boost::system::error_code ignored;
    w->fd.cancel(ignored);
    w->fd.release();
    w->self.reset();  // may destroy the watch once the cancelled handlers have run
}

}  // namespace

bool attach_asio(redisAsyncContext* ac, const asio::any_io_executor& ex) {
    if (ac->ev.data != nullptr || ac->c.fd < 0) return false;
    auto w = std::make_shared<watch>(ac, ex);
    w->self = w;
    ac->ev.data = w.get();
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return true;
}

}  // namespace triage::integrations::redis
