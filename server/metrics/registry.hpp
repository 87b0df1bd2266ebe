#pragma once
// Counters, gauges and histograms with the Prometheus text exposition format (version 0.0.4).
// Updates are lock-free (relaxed atomics) so that a patient turn never waits on a scrape; a
// labelled family takes a lock only to create a new child, and callers keep the child they got.
//
// Label values must come from closed sets chosen by our code (clinic slugs, urgency levels,
// step names, outcome codes): never patient text (DESIGN: metrics carry ids, never PHI).
//
// runs on: any thread.

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace triage::server::metrics {

class counter {
public:
    void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class gauge {
public:
    void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(double v) noexcept { value_.fetch_add(v, std::memory_order_relaxed); }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

// Bucket bounds are upper bounds, ascending; +Inf is implied.
class histogram {
public:
    explicit histogram(std::vector<double> bounds);
    void observe(double v) noexcept;
    struct snapshot {
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
        std::uint64_t count = 0;
        double sum = 0;
    };
    snapshot read() const;
    const std::vector<double>& bounds() const noexcept { return bounds_; }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 (the last is +Inf)
    std::atomic<double> sum_{0};
};

// Latency in seconds: 50 µs to 10 s.
std::vector<double> latency_buckets();
// Waiting for a person: 10 s to 4 h.
std::vector<double> waiting_buckets();

using labels = std::vector<std::pair<std::string, std::string>>;

enum class kind { counter, gauge, histogram };

// One metric name with its help text and label names; children by label values.
template <class Metric>
class family {
public:
    family(std::string name, std::string help, std::vector<std::string> label_names,
           std::vector<double> bounds = {})
        : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)),
          bounds_(std::move(bounds)) {}

    // Values in the order of the label names. The reference stays valid for the family's life.
    Metric& with(std::initializer_list<std::string_view> values);
    Metric& with(const std::vector<std::string>& values);

    const std::string& name() const noexcept { return name_; }
    const std::string& help() const noexcept { return help_; }
    const std::vector<std::string>& label_names() const noexcept { return label_names_; }
    // A copy of the children, for rendering.
    std::vector<std::pair<std::vector<std::string>, const Metric*>> children() const;

private:
    std::string name_, help_;
    std::vector<std::string> label_names_;
    std::vector<double> bounds_;
    mutable std::mutex mu_;
    std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

// The exposition text, built family by family.
class text_writer {
public:
    void write(const family<counter>& f);
    void write(const family<gauge>& f);
    void write(const family<histogram>& f);
    // A gauge measured at scrape time (not stored anywhere).
    void gauge_sample(std::string_view name, std::string_view help, const labels& l, double value);
    // Several samples of one gauge measured at scrape time.
    void gauge_header(std::string_view name, std::string_view help);
    // A counter measured at scrape time (process CPU seconds).
    void counter_header(std::string_view name, std::string_view help) { header(name, help, "counter"); }
    void sample(std::string_view name, const labels& l, double value);
    const std::string& text() const noexcept { return out_; }

private:
    void header(std::string_view name, std::string_view help, std::string_view type);
    std::string out_;
};

// Label values are escaped as the format says (backslash, double quote, line feed).
std::string escape_label_value(std::string_view v);
// Numbers as Prometheus reads them: integers without a fraction, +Inf, NaN.
std::string format_number(double v);

}  // namespace triage::server::metrics
