// The intent model (issue 4): one classification of typical messages, the leave-one-word-out
// explanation, and loading the model, with its size. Run:
//   taskset -c 0 build/bench/intent_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include "dialog/intent_model.hpp"

#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

const std::string model_path = TRIAGE_SOURCE_DIR "/dialog/intents/model.bin";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

const triage::dialog::model_intent_classifier& model() {
    static const auto loaded = triage::dialog::model_intent_classifier::load(read_file(model_path), "bench");
    if (!loaded.classifier) std::abort();
    return *loaded.classifier;
}

const char* const typical_en = "hi, can i move my thursday appointment to next week? something came up at work";
const char* const typical_es = "hola, necesito mis pastillas de la presión, se me acaban el viernes";

void classify(benchmark::State& state, const char* text) {
    const auto& m = model();
    for (auto _ : state) {
        auto g = m.classify(text);
        benchmark::DoNotOptimize(g);
    }
}

void classify_english(benchmark::State& state) { classify(state, typical_en); }
void classify_spanish(benchmark::State& state) { classify(state, typical_es); }

void explain_english(benchmark::State& state) {
    const auto& m = model();
    for (auto _ : state) {
        auto w = m.explain(typical_en);
        benchmark::DoNotOptimize(w);
    }
}

void load_model(benchmark::State& state) {
    const std::string bytes = read_file(model_path);
    for (auto _ : state) {
        auto r = triage::dialog::model_intent_classifier::load(bytes, "bench");
        benchmark::DoNotOptimize(r);
    }
    state.counters["model_bytes"] = static_cast<double>(bytes.size());
}

}  // namespace

BENCHMARK(classify_english)->Unit(benchmark::kMicrosecond);
BENCHMARK(classify_spanish)->Unit(benchmark::kMicrosecond);
BENCHMARK(explain_english)->Unit(benchmark::kMicrosecond);
BENCHMARK(load_model)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
