#include "server/metrics/registry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace triage::server::metrics {

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end())) throw std::invalid_argument("histogram bounds not ascending");
    for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
    // The first bound not below v (Prometheus buckets are "less than or equal").
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
    snapshot s;
    s.cumulative.resize(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += counts_[i].load(std::memory_order_relaxed);
        s.cumulative[i] = running;
    }
    s.count = running;
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

std::vector<double> latency_buckets() {
    return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> waiting_buckets() { return {10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400}; }

template <class Metric>
Metric& family<Metric>::with(const std::vector<std::string>& values) {
    if (values.size() != label_names_.size()) throw std::invalid_argument(name_ + ": wrong number of label values");
    std::lock_guard lock(mu_);
    auto it = children_.find(values);
    if (it == children_.end()) {
        std::unique_ptr<Metric> m;
        if constexpr (std::is_same_v<Metric, histogram>) m = std::make_unique<histogram>(bounds_);
        else m = std::make_unique<Metric>();
        it = children_.emplace(values, std::move(m)).first;
    }
    return *it->second;
}

template <class Metric>
Metric& family<Metric>::with(std::initializer_list<std::string_view> values) {
    return with(std::vector<std::string>(values.begin(), values.end()));
}

template <class Metric>
std::vector<std::pair<std::vector<std::string>, const Metric*>> family<Metric>::children() const {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::vector<std::string>, const Metric*>> out;
    out.reserve(children_.size());
    for (const auto& [k, v] : children_) out.emplace_back(k, v.get());
    return out;
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string format_number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

namespace {

std::string label_text(const std::vector<std::string>& names, const std::vector<std::string>& values,
                       std::string_view extra_name = {}, std::string_view extra_value = {}) {
    if (names.empty() && extra_name.empty()) return {};
    std::string out = "{";
    bool first = true;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!first) out += ',';
        first = false;
        out += names[i];
        out += "=\"";
        out += escape_label_value(values[i]);
        out += '"';
    }
    if (!extra_name.empty()) {
        if (!first) out += ',';
        out += extra_name;
        out += "=\"";
        out += extra_value;
        out += '"';
    }
    out += '}';
    return out;
}

}  // namespace

void text_writer::header(std::string_view name, std::string_view help, std::string_view type) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    // HELP text escapes backslash and line feed only.
    for (char c : help) {
        if (c == '\\') out_ += "\\\\";
        else if (c == '\n') out_ += "\\n";
        else out_ += c;
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

namespace {

// One line per child: name{labels} value.
template <class Metric>
void write_scalars(std::string& out, const family<Metric>& f) {
    for (const auto& [values, m] : f.children()) {
        out += f.name();
        out += label_text(f.label_names(), values);
        out += ' ';
        out += format_number(static_cast<double>(m->value()));
        out += '\n';
    }
}

}  // namespace

void text_writer::write(const family<counter>& f) {
    header(f.name(), f.help(), "counter");
    write_scalars(out_, f);
}

void text_writer::write(const family<gauge>& f) {
    header(f.name(), f.help(), "gauge");
    write_scalars(out_, f);
}

void text_writer::write(const family<histogram>& f) {
    header(f.name(), f.help(), "histogram");
    for (const auto& [values, h] : f.children()) {
        auto s = h->read();
        const auto& b = h->bounds();
        for (std::size_t i = 0; i <= b.size(); ++i) {
            out_ += f.name();
            out_ += "_bucket";
            out_ += label_text(f.label_names(), values, "le", i < b.size() ? format_number(b[i]) : "+Inf");
            out_ += ' ';
            out_ += format_number(static_cast<double>(s.cumulative[i]));
            out_ += '\n';
        }
        out_ += f.name();
        out_ += "_sum";
        out_ += label_text(f.label_names(), values);
        out_ += ' ';
        out_ += format_number(s.sum);
        out_ += '\n';
        out_ += f.name();
        out_ += "_count";
        out_ += label_text(f.label_names(), values);
        out_ += ' ';
        out_ += format_number(static_cast<double>(s.count));
        out_ += '\n';
    }
}

void text_writer::gauge_header(std::string_view name, std::string_view help) { header(name, help, "gauge"); }

void text_writer::sample(std::string_view name, const labels& l, double value) {
    out_ += name;
    if (!l.empty()) {
        out_ += '{';
        for (std::size_t i = 0; i < l.size(); ++i) {
            if (i) out_ += ',';
            out_ += l[i].first;
            out_ += "=\"";
            out_ += escape_label_value(l[i].second);
            out_ += '"';
        }
        out_ += '}';
    }
    out_ += ' ';
    out_ += format_number(value);
    out_ += '\n';
}

void text_writer::gauge_sample(std::string_view name, std::string_view help, const labels& l, double value) {
    gauge_header(name, help);
    sample(name, l, value);
}

}  // namespace triage::server::metrics
