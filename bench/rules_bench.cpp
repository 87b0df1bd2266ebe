// One red-flag assessment of patient messages of 50, 200, 500 and 5,000 characters, English and
// Spanish, with the core pack and the dictionaries loaded as the server loads them (issue 3), and
// the same with the urgency model beside the rules (`combined_*`: what a patient turn costs,
// issue 12; the model is read from triage-rules/model/urgency.bin, thresholds as in its card).
// Run: build/bench/rules_bench [--benchmark_repetitions=5] (pin with taskset -c 0 for one core).
#include "triage-rules/engine.hpp"
#include "triage-rules/rule_pack.hpp"
#include "triage-rules/urgency_model.hpp"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> read_words(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string w; std::getline(in, w);) out.push_back(w);
    return out;
}

const triage::rules::engine& core() {
    static const triage::rules::engine e = [] {
        auto loaded = triage::rules::load_rule_pack(read_file(TRIAGE_SOURCE_DIR "/triage-rules/packs/core.yaml"), "core.yaml");
        if (!loaded.pack) std::abort();
        std::vector<triage::rules::rule_pack> packs;
        packs.push_back(std::move(*loaded.pack));
        auto words = read_words("/usr/share/dict/american-english");
        auto es = read_words("/usr/share/dict/spanish");
        words.insert(words.end(), es.begin(), es.end());
        return triage::rules::engine(std::move(packs), words);
    }();
    return e;
}

// Ordinary patient text (no red flag until the end), repeated to the length wanted, ending with
// a red flag so the whole message is read.
std::string message(const std::string& filler, const std::string& flag, std::size_t length) {
    std::string m;
    while (m.size() + flag.size() + 1 < length) m += filler;
    m.resize(length > flag.size() + 1 ? length - flag.size() - 1 : 0);
    return m + " " + flag;
}

const std::string en_filler =
    "hi, i hope you are well. i wanted to ask about my appointment next week because my knee has been sore "
    "since the weekend and i also need a refill of my blood pressure tablets, the pharmacy said to ask you. ";
const std::string es_filler =
    "hola, buenos días. quería preguntar por mi cita de la semana que viene porque me duele la rodilla desde "
    "el fin de semana y también necesito más pastillas para la presión, la farmacia me dijo que les escribiera. ";

void assess(benchmark::State& state, const std::string& filler, const std::string& flag) {
    const std::string m = message(filler, flag, static_cast<std::size_t>(state.range(0)));
    const auto& e = core();
    for (auto _ : state) {
        auto a = e.assess(m);
        benchmark::DoNotOptimize(a);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * m.size()));
    state.counters["chars"] = static_cast<double>(m.size());
}

const triage::rules::urgency_model& model() {
    static const auto m = [] {
        // Thresholds do not change the cost; the card's are used by the server.
        auto r = triage::rules::urgency_model::load(read_file(TRIAGE_SOURCE_DIR "/triage-rules/model/urgency.bin"), "bench", {});
        if (!r.model) {
            std::fprintf(stderr, "rules_bench: cannot load triage-rules/model/urgency.bin: %s\n", r.error.c_str());
            std::abort();
        }
        return std::move(r.model);
    }();
    return *m;
}

void assess_combined(benchmark::State& state, const std::string& filler, const std::string& flag) {
    const std::string m = message(filler, flag, static_cast<std::size_t>(state.range(0)));
    const auto& e = core();
    const auto& u = model();
    for (auto _ : state) {
        auto a = e.assess(m);
        triage::rules::apply_model(a, u.estimate(m));
        benchmark::DoNotOptimize(a);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * m.size()));
    state.counters["chars"] = static_cast<double>(m.size());
}

void combined_english(benchmark::State& state) { assess_combined(state, en_filler, "and now crushing chest pain"); }
void combined_spanish(benchmark::State& state) { assess_combined(state, es_filler, "y ahora me duele mucho el pecho"); }

void english(benchmark::State& state) { assess(state, en_filler, "and now crushing chest pain"); }
void spanish(benchmark::State& state) { assess(state, es_filler, "y ahora me duele mucho el pecho"); }

}  // namespace

BENCHMARK(english)->Arg(50)->Arg(200)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK(spanish)->Arg(50)->Arg(200)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);

BENCHMARK(combined_english)->Arg(50)->Arg(200)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK(combined_spanish)->Arg(50)->Arg(200)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
