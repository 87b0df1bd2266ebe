#include "server/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <shared_mutex>

namespace triage::server::log {
namespace {

std::mutex out_mu;
FILE* out = stderr;
std::atomic<level> min{level::info};
// Component levels: looked up only while there are any (the usual case has none).
std::shared_mutex levels_mu;
std::map<std::string, level, std::less<>> by_component;
std::atomic<bool> any_component{false};

level effective(std::string_view event) {
    if (!any_component.load(std::memory_order_acquire)) return min.load(std::memory_order_relaxed);
    std::string_view component = event.substr(0, event.find('.'));
    std::shared_lock lock(levels_mu);
    auto it = by_component.find(component);
    return it == by_component.end() ? min.load(std::memory_order_relaxed) : it->second;
}

void append_json_string(std::string& line, std::string_view s) {
    line += '"';
    for (unsigned char c : s) {
        switch (c) {
        case '"': line += "\\\""; break;
        case '\\': line += "\\\\"; break;
        case '\n': line += "\\n"; break;
        case '\r': line += "\\r"; break;
        case '\t': line += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                line += buf;
            } else {
                line += static_cast<char>(c);
            }
        }
    }
    line += '"';
}

}  // namespace

const char* to_string(level l) {
    switch (l) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
    }
    return "info";
}

std::optional<level> level_from_string(std::string_view s) {
    if (s == "debug") return level::debug;
    if (s == "info") return level::info;
    if (s == "warn") return level::warn;
    if (s == "error") return level::error;
    return std::nullopt;
}

void configure(level min_level, const std::string& file) {
    min.store(min_level);
    std::lock_guard lock(out_mu);
    if (!file.empty()) {
        if (FILE* f = std::fopen(file.c_str(), "a")) out = f;
    }
}

void set_level(std::string_view component, level l) {
    std::unique_lock lock(levels_mu);
    by_component[std::string(component)] = l;
    any_component.store(true, std::memory_order_release);
}

void clear_level(std::string_view component) {
    std::unique_lock lock(levels_mu);
    if (auto it = by_component.find(component); it != by_component.end()) by_component.erase(it);
    any_component.store(!by_component.empty(), std::memory_order_release);
}

void reset_levels() {
    std::unique_lock lock(levels_mu);
    by_component.clear();
    any_component.store(false, std::memory_order_release);
}

level default_level() { return min.load(); }

std::vector<std::pair<std::string, level>> component_levels() {
    std::shared_lock lock(levels_mu);
    return {by_component.begin(), by_component.end()};
}

void write(level l, std::string_view event, std::initializer_list<field> fields) {
    if (l < effective(event)) return;
    auto now = std::chrono::system_clock::now();
    auto t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[40];
    std::size_t n = std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(ts + n, sizeof ts - n, ".%03dZ", static_cast<int>(ms));
    std::string line;
    line.reserve(160);
    line += "{\"ts\":\"";
    line += ts;
    line += "\",\"level\":\"";
    line += to_string(l);
    line += "\",\"event\":";
    append_json_string(line, event);
    for (const auto& f : fields) {
        line += ',';
        append_json_string(line, f.key);
        line += ':';
        if (f.value.quoted()) append_json_string(line, f.value.text());
        else line += f.value.text();
    }
    line += "}\n";
    std::lock_guard lock(out_mu);
    std::fwrite(line.data(), 1, line.size(), out);
    std::fflush(out);
}

}  // namespace triage::server::log
