// Load generator: N concurrent patients talk to a running triaged through the default flow,
// open loop (each patient sends on a fixed schedule, and latency is measured from the intended
// send time so that queueing is not hidden). In the same run it measures a protocol echo
// baseline (ping/pong through the same server), so the figure is a ratio that holds on a noisy
// machine.
//
//   triage_loadgen --url http://127.0.0.1:PORT --patients 200 --rate 2 --seconds 20 [--origin URL]
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

struct options {
    std::string host = "127.0.0.1";
    std::string port;
    std::string origin;
    int patients = 100;
    double rate = 2.0;  // turns per second per patient
    int seconds = 15;
    bool echo = false;
};

struct stats {
    std::vector<double> latencies_us;
    std::uint64_t turns = 0, errors = 0, conversations = 0, emergencies = 0;
};

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
    return v[i];
}

asio::awaitable<void> patient(const options& o, int index, clock_type::time_point end, stats& st) {
    auto ex = co_await asio::this_coro::executor;
    auto period = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1.0 / o.rate));
    // Spread the patients over one period so they do not all fire at once.
    auto next = clock_type::now() + period * index / std::max(1, o.patients);
    std::uint64_t msg = 0;
    while (clock_type::now() < end) {
        asio::ip::tcp::resolver res(ex);
        websocket::stream<beast::tcp_stream> ws(ex);
        auto [rec, eps] = co_await res.async_resolve(o.host, o.port, nothrow);
        if (rec) { ++st.errors; co_return; }
        auto [cec, ep] = co_await beast::get_lowest_layer(ws).async_connect(eps, nothrow);
        if (cec) { ++st.errors; co_return; }
        beast::get_lowest_layer(ws).expires_never();
        ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& r) {
            r.set(beast::http::field::origin, o.origin);
        }));
        auto [hec] = co_await ws.async_handshake(o.host + ":" + o.port, "/ws/patient?clinic=demo", nothrow);
        if (hec) { ++st.errors; co_return; }
        beast::flat_buffer buf;
        auto read_json = [&]() -> asio::awaitable<json::value> {
            auto [ec, n] = co_await ws.async_read(buf, nothrow);
            if (ec) co_return json::value{};
            auto v = json::parse(beast::buffers_to_string(buf.data()));
            buf.consume(buf.size());
            co_return v;
        };
        std::string last_choice;
        if (!o.echo) {
            std::string start = R"({"type":"start","v":1,"lang":"en"})";
            co_await ws.async_write(asio::buffer(start), nothrow);
            for (;;) {  // started, then the welcome
                auto v = co_await read_json();
                if (!v.is_object()) { ++st.errors; co_return; }
                if (v.at("type") == "bot") {
                    auto& q = v.at("quick_replies").as_array();
                    last_choice = q.empty() ? "yes" : std::string(q[0].at("value").as_string());
                    break;
                }
            }
            ++st.conversations;
        }
        bool ended = false;
        for (int turn = 0; turn < 8 && !ended && clock_type::now() < end; ++turn) {
            asio::steady_timer t(ex, next);
            co_await t.async_wait(nothrow);
            auto intended = next;
            next += period;
            std::string id = "p" + std::to_string(index) + "-" + std::to_string(++msg);
            std::string text = last_choice.empty() ? "tomorrow" : last_choice;
            if (!o.echo && index % 50 == 0 && turn == 2) text = "I have crushing chest pain";
            std::string frame = o.echo ? R"({"type":"ping"})"
                                       : json::serialize(json::object{{"type", "message"}, {"id", id}, {"text", text}});
            co_await ws.async_write(asio::buffer(frame), nothrow);
            // The turn is complete at its ack (durable), or at the pong for the echo baseline;
            // the replies come right behind the ack and are read in the same loop.
            bool done = false, acked = false, replied = false;
            while (!done) {
                auto v = co_await read_json();
                if (!v.is_object()) { ++st.errors; ended = true; break; }
                auto type = v.at("type").as_string();
                if (type == "pong" || (type == "ack" && v.at("id").as_string() == id)) {
                    st.latencies_us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - intended).count());
                    ++st.turns;
                    acked = true;
                    done = o.echo || replied;
                } else if (type == "error") {
                    ++st.errors;
                    done = true;
                } else if (type == "bot") {
                    if (v.at("urgent").as_bool()) ++st.emergencies;
                    auto& q = v.at("quick_replies").as_array();
                    last_choice = q.empty() ? "" : std::string(q[0].at("value").as_string());
                    replied = true;
                    done = acked;
                } else if (type == "typing" && !v.at("on").as_bool()) {
                    replied = true;
                    done = acked;
                } else if (type == "end") {
                    ended = true;
                    done = true;
                }
            }
        }
        co_await ws.async_close(websocket::close_code::normal, nothrow);
    }
}

stats run(options o) {
    asio::io_context ctx(1);
    stats st;
    auto end = clock_type::now() + std::chrono::seconds(o.seconds);
    for (int i = 0; i < o.patients; ++i) asio::co_spawn(ctx, patient(o, i, end, st), asio::detached);
    ctx.run();
    return st;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void report(const char* name, stats& st, int seconds, double cpu) {
    std::printf("%-10s turns=%llu turns_per_s=%.0f errors=%llu p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f "
                "loadgen_cpu=%.0f%%\n",
                name, static_cast<unsigned long long>(st.turns), static_cast<double>(st.turns) / seconds,
                static_cast<unsigned long long>(st.errors), percentile(st.latencies_us, 50),
                percentile(st.latencies_us, 90), percentile(st.latencies_us, 99), percentile(st.latencies_us, 99.9),
                100.0 * cpu / seconds);
}

int main(int argc, char** argv) {
    options o;
    std::string url;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i], v = argv[i + 1];
        if (k == "--url") url = v;
        else if (k == "--patients") o.patients = std::stoi(v);
        else if (k == "--rate") o.rate = std::stod(v);
        else if (k == "--seconds") o.seconds = std::stoi(v);
        else if (k == "--origin") o.origin = v;
        else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
    }
    auto p = url.rfind(':');
    if (url.rfind("http://", 0) != 0 || p == std::string::npos || p < 7) {
        std::fprintf(stderr, "usage: triage_loadgen --url http://127.0.0.1:PORT [--patients N] [--rate R] [--seconds S]\n"
                             "(plain loopback development server; see bench/README.md)\n");
        return 2;
    }
    o.host = url.substr(7, p - 7);
    o.port = url.substr(p + 1);
    if (o.origin.empty()) o.origin = url;
    std::printf("patients=%d rate_per_patient=%.2f/s offered=%.0f turns/s seconds=%d\n", o.patients, o.rate,
                o.patients * o.rate, o.seconds);
    auto e = o;
    e.echo = true;
    double c0 = cpu_seconds();
    auto echo = run(e);
    double c1 = cpu_seconds();
    auto conv = run(o);
    double c2 = cpu_seconds();
    report("echo", echo, o.seconds, c1 - c0);
    report("turns", conv, o.seconds, c2 - c1);
    std::printf("conversations=%llu emergencies=%llu\n", static_cast<unsigned long long>(conv.conversations),
                static_cast<unsigned long long>(conv.emergencies));
    double e50 = percentile(echo.latencies_us, 50), t50 = percentile(conv.latencies_us, 50);
    double e99 = percentile(echo.latencies_us, 99), t99 = percentile(conv.latencies_us, 99);
    if (e50 > 0 && e99 > 0) std::printf("ratio_p50=%.1f ratio_p99=%.1f (turn latency / echo latency)\n", t50 / e50, t99 / e99);
    return 0;
}
