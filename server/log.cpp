#include "server/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace triage::server::log {
namespace {

std::mutex mu;
FILE* out = stderr;
level min = level::info;

const char* name(level l) {
    switch (l) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
    }
    return "info";
}

}  // namespace

void configure(level min_level, const std::string& file) {
    std::lock_guard lock(mu);
    min = min_level;
    if (!file.empty()) {
        if (FILE* f = std::fopen(file.c_str(), "a")) out = f;
    }
}

void write(level l, std::string_view event, std::initializer_list<field> fields) {
    if (l < min) return;
    auto now = std::chrono::system_clock::now();
    auto t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string line;
    line.reserve(128);
    line += ts;
    char msbuf[8];
    std::snprintf(msbuf, sizeof msbuf, ".%03dZ", static_cast<int>(ms));
    line += msbuf;
    line += " ";
    line += name(l);
    line += " ";
    line += event;
    for (const auto& f : fields) {
        line += " ";
        line += f.key;
        line += "=";
        line += f.value.text();
    }
    line += "\n";
    std::lock_guard lock(mu);
    std::fwrite(line.data(), 1, line.size(), out);
    std::fflush(out);
}

}  // namespace triage::server::log
