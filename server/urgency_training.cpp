#include "server/urgency_training.hpp"

#include "server/app.hpp"
#include "server/assess.hpp"
#include "server/intent_training.hpp"
#include "triage-rules/evaluation.hpp"
#include "triage-rules/urgency_model.hpp"

#include <boost/json.hpp>
#include <fasttext/fasttext.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace triage::server {

namespace {

using probabilities = std::array<double, 5>;

struct example {
    std::string prepared;  // urgency_model_input
    rules::urgency label;
    rules::urgency by_rules = rules::urgency::none;  // what the rules alone say (emergency if they escalate)
    std::string lang;
    std::string kind;
};

struct options {
    std::vector<std::string> files;
    std::string out = "triage-rules/model/urgency.bin";
    std::string version;
    std::vector<std::string> packs{"triage-rules/packs/core.yaml"};
    int seed = 1;
    int folds = 5;
    // The share of each level's cases (and above) the thresholds must keep at that level or above,
    // on out-of-fold predictions: recall first.
    double emergency_recall = 98.0;
    double urgent_recall = 97.0;
    double routine_recall = 95.0;
    double self_care_recall = 95.0;
    int epoch = 30;
    double lr = 0.4;
    int dim = 32;
    int word_ngrams = 2;
    int minn = 3;
    int maxn = 5;
    int bucket = 40000;  // the model's size is bucket x dim x 4 bytes: ~5 MB
};

struct scratch {
    fs::path path;
    scratch() {
        std::string tmpl = (fs::temp_directory_path() / "triage-urgency-XXXXXX").string();
        if (char* p = mkdtemp(tmpl.data())) path = p;
    }
    ~scratch() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
};

std::unique_ptr<fasttext::FastText> train(const std::vector<const example*>& set, const options& o, const fs::path& dir) {
    const fs::path input = dir / "train.txt";
    {
        std::ofstream out(input, std::ios::binary);
        for (const auto* e : set) out << "__label__" << rules::to_string(e->label) << ' ' << e->prepared << '\n';
    }
    fasttext::Args a;
    a.input = input.string();
    a.model = fasttext::model_name::sup;
    a.loss = fasttext::loss_name::softmax;
    a.lr = o.lr;
    a.dim = o.dim;
    a.epoch = o.epoch;
    a.wordNgrams = o.word_ngrams;
    a.minn = o.minn;
    a.maxn = o.maxn;
    a.bucket = o.bucket;
    a.minCount = 1;
    a.minCountLabel = 0;
    a.thread = 1;  // determinism: one thread sees the examples in file order
    a.seed = o.seed;
    a.verbose = 0;
    auto m = std::make_unique<fasttext::FastText>();
    m->train(a);
    return m;
}

probabilities predict(const fasttext::FastText& m, const std::string& prepared) {
    probabilities p{};
    std::istringstream in(prepared + "\n");
    std::vector<std::pair<fasttext::real, std::string>> out;
    m.predictLine(in, out, 5, 0.0);
    for (auto& [prob, label] : out) {
        std::string_view name(label);
        if (name.starts_with("__label__")) name.remove_prefix(9);
        if (auto u = rules::urgency_from_string(name)) p[static_cast<std::size_t>(*u)] = prob;
    }
    return p;
}

double at_least(const probabilities& p, rules::urgency level) {
    double s = 0;
    for (std::size_t i = static_cast<std::size_t>(level); i < p.size(); ++i) s += p[i];
    return s;
}

rules::urgency combined(const example& e, const probabilities& p, const rules::urgency_thresholds& t) {
    return std::max(e.by_rules, rules::level_for(p, t));
}

// The highest threshold for `level` that keeps `recall` percent of the cases labelled `level`
// or above at `level` or above, counting what the rules find as well (the model only has to add
// what they miss), with the thresholds above it already chosen. Highest, so that the model
// raises as few messages as the recall allows.
double threshold_for(const std::vector<const example*>& cases, const std::vector<probabilities>& oof,
                     rules::urgency_thresholds t, rules::urgency level, double recall) {
    constexpr double lowest = 0.02, highest = 0.6, step = 0.005;
    auto member = [&](double v) -> double& {
        switch (level) {
        case rules::urgency::emergency: return t.emergency;
        case rules::urgency::urgent: return t.urgent;
        case rules::urgency::routine: return t.routine;
        default: return t.self_care;
        }
    };
    for (double v = highest; v >= lowest; v -= step) {
        member(v) = v;
        std::size_t kept = 0, total = 0;
        for (std::size_t i = 0; i < cases.size(); ++i) {
            if (cases[i]->label < level) continue;
            ++total;
            if (combined(*cases[i], oof[i], t) >= level) ++kept;
        }
        if (total == 0 || 100.0 * static_cast<double>(kept) >= recall * static_cast<double>(total)) return v;
    }
    return lowest;
}

struct figures {
    std::array<std::array<std::size_t, 5>, 5> confusion{};  // [label][predicted]
    std::map<std::string, std::pair<std::size_t, std::size_t>> emergency_recall_by_lang, exact_by_lang, safe_by_lang;
    std::pair<std::size_t, std::size_t> hard_negative_alarms{0, 0};
};

figures measure(const std::vector<const example*>& cases, const std::vector<probabilities>& oof,
                const rules::urgency_thresholds& t, bool with_rules) {
    figures f;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& e = *cases[i];
        const auto predicted = with_rules ? combined(e, oof[i], t) : rules::level_for(oof[i], t);
        f.confusion[static_cast<std::size_t>(e.label)][static_cast<std::size_t>(predicted)]++;
        auto& ex = f.exact_by_lang[e.lang];
        ex.second++;
        if (predicted == e.label) ex.first++;
        auto& sf = f.safe_by_lang[e.lang];
        sf.second++;
        if (predicted >= e.label) sf.first++;
        if (e.label == rules::urgency::emergency) {
            auto& r = f.emergency_recall_by_lang[e.lang];
            r.second++;
            if (predicted == rules::urgency::emergency) r.first++;
        }
        if (e.kind == "hard_negative") {
            f.hard_negative_alarms.second++;
            if (predicted == rules::urgency::emergency) f.hard_negative_alarms.first++;
        }
    }
    return f;
}

std::string pct(std::pair<std::size_t, std::size_t> r) {
    char b[64];
    std::snprintf(b, sizeof b, "%.1f%% (%zu/%zu)", r.second ? 100.0 * double(r.first) / double(r.second) : 0.0, r.first, r.second);
    return b;
}

bool parse_options(const std::vector<std::string>& args, options& o) {
    bool rules_given = false;
    auto number = [&](std::size_t& i, auto& to) {
        if (i + 1 >= args.size()) return false;
        char* end = nullptr;
        const double v = std::strtod(args[++i].c_str(), &end);
        if (end == nullptr || *end != '\0') return false;
        to = static_cast<std::remove_reference_t<decltype(to)>>(v);
        return true;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        bool ok = true;
        if (a == "--out" && i + 1 < args.size()) o.out = args[++i];
        else if (a == "--version" && i + 1 < args.size()) o.version = args[++i];
        else if (a == "--rules" && i + 1 < args.size()) {
            if (!rules_given) o.packs.clear();
            rules_given = true;
            o.packs.push_back(args[++i]);
        }
        else if (a == "--seed") ok = number(i, o.seed);
        else if (a == "--folds") ok = number(i, o.folds) && o.folds >= 2;
        else if (a == "--min-recall") ok = number(i, o.emergency_recall) && o.emergency_recall > 0 && o.emergency_recall <= 100;
        else if (a == "--urgent-recall") ok = number(i, o.urgent_recall) && o.urgent_recall > 0 && o.urgent_recall <= 100;
        else if (a == "--routine-recall") ok = number(i, o.routine_recall) && o.routine_recall > 0 && o.routine_recall <= 100;
        else if (a == "--self-care-recall") ok = number(i, o.self_care_recall) && o.self_care_recall > 0 && o.self_care_recall <= 100;
        else if (a == "--bucket") ok = number(i, o.bucket) && o.bucket > 0;
        else if (a == "--minn") ok = number(i, o.minn) && o.minn >= 0;
        else if (a == "--maxn") ok = number(i, o.maxn) && o.maxn >= 0;
        else if (a == "--epoch") ok = number(i, o.epoch) && o.epoch > 0;
        else if (a == "--lr") ok = number(i, o.lr) && o.lr > 0;
        else if (a == "--dim") ok = number(i, o.dim) && o.dim > 0;
        else if (a == "--word-ngrams") ok = number(i, o.word_ngrams) && o.word_ngrams > 0;
        else if (a.size() > 6 && a.ends_with(".jsonl")) o.files.push_back(a);
        else ok = false;
        if (!ok) {
            std::fprintf(stderr, "triagectl: rules model train: bad option %s (see --help)\n", a.c_str());
            return false;
        }
    }
    if (o.files.empty()) {
        std::fprintf(stderr, "usage: triagectl rules model train CASES.jsonl... [--out FILE] [--seed N] [--folds K] "
                             "[--min-recall PCT] [--version V]\n");
        return false;
    }
    return true;
}

}  // namespace

int urgency_model_train_command(const std::vector<std::string>& args) {
    options o;
    if (!parse_options(args, o)) return 2;
    std::vector<rules::labelled_case> cases;
    std::string all_bytes;
    bool bad = false;
    for (const auto& f : o.files) {
        auto text = read_text_file(f);
        if (!text) {
            std::fprintf(stderr, "triagectl: cannot read %s\n", f.c_str());
            return 2;
        }
        all_bytes += *text;
        auto parsed = rules::parse_cases(*text, f);
        for (const auto& e : parsed.errors) std::fprintf(stderr, "%s\n", e.c_str());
        bad = bad || !parsed.errors.empty();
        for (auto& c : parsed.cases) cases.push_back(std::move(c));
    }
    if (bad) {
        std::fprintf(stderr, "triagectl: fix the case files first\n");
        return 2;
    }
    // One example per distinct text: a duplicate would sit on both sides of a fold. When two
    // copies disagree, the more urgent label is kept (the safer reading).
    auto engine = load_rule_engine(o.packs);
    if (!engine) return 2;
    std::map<std::string, example> by_text;
    for (const auto& c : cases) {
        const auto a = engine->assess(c.text);
        example e{rules::urgency_model_input(c.text), c.label, a.escalate ? rules::urgency::emergency : a.level, c.lang, c.kind};
        if (e.prepared.empty()) continue;
        auto [it, fresh] = by_text.emplace(c.lang + "\n" + e.prepared, e);
        if (!fresh && e.label > it->second.label) it->second = e;
    }
    std::vector<const example*> pool;
    for (const auto& [k, e] : by_text) pool.push_back(&e);
    std::printf("urgency model: %zu cases, %zu distinct texts\n", cases.size(), pool.size());
    std::fflush(stdout);
    scratch dir;
    if (dir.path.empty()) {
        std::fprintf(stderr, "triagectl: cannot create a temporary folder\n");
        return 1;
    }
    try {
        // Stratified folds: each (label, language) group shuffled with the seed, dealt round robin.
        std::map<std::pair<int, std::string>, std::vector<std::size_t>> strata;
        for (std::size_t i = 0; i < pool.size(); ++i) strata[{static_cast<int>(pool[i]->label), pool[i]->lang}].push_back(i);
        std::mt19937 rng(static_cast<std::uint32_t>(o.seed));
        std::vector<int> fold(pool.size(), 0);
        for (auto& [key, idx] : strata) {
            std::shuffle(idx.begin(), idx.end(), rng);
            for (std::size_t k = 0; k < idx.size(); ++k) fold[idx[k]] = static_cast<int>(k % static_cast<std::size_t>(o.folds));
        }
        std::vector<probabilities> oof(pool.size());
        for (int f = 0; f < o.folds; ++f) {
            std::printf("  cross-validation fold %d/%d\n", f + 1, o.folds);
            std::fflush(stdout);
            std::vector<const example*> train_set;
            for (std::size_t i = 0; i < pool.size(); ++i)
                if (fold[i] != f) train_set.push_back(pool[i]);
            std::shuffle(train_set.begin(), train_set.end(), rng);
            auto m = train(train_set, o, dir.path);
            for (std::size_t i = 0; i < pool.size(); ++i)
                if (fold[i] == f) oof[i] = predict(*m, pool[i]->prepared);
        }
        // Most urgent first: each level's threshold is chosen with the ones above it in place.
        rules::urgency_thresholds t{1.0, 1.0, 1.0, 1.0};
        t.emergency = threshold_for(pool, oof, t, rules::urgency::emergency, o.emergency_recall);
        t.urgent = threshold_for(pool, oof, t, rules::urgency::urgent, o.urgent_recall);
        t.routine = threshold_for(pool, oof, t, rules::urgency::routine, o.routine_recall);
        t.self_care = threshold_for(pool, oof, t, rules::urgency::self_care, o.self_care_recall);
        const figures cv = measure(pool, oof, t, false);
        const figures both = measure(pool, oof, t, true);

        std::printf("  training the final model on %zu examples\n", pool.size());
        std::fflush(stdout);
        std::vector<const example*> everything(pool);
        std::shuffle(everything.begin(), everything.end(), rng);
        auto final_model = train(everything, o, dir.path);
        fs::create_directories(fs::path(o.out).parent_path().empty() ? fs::path(".") : fs::path(o.out).parent_path());
        final_model->saveModel(o.out);
        auto bytes = read_text_file(o.out);
        if (!bytes || bytes->empty()) {
            std::fprintf(stderr, "triagectl: cannot write %s\n", o.out.c_str());
            return 1;
        }
        const std::string sha = sha256_hex(*bytes);
        const std::string version = o.version.empty() ? "urgency-" + sha.substr(0, 12) : o.version;

        std::map<std::string, std::map<std::string, int>> counts;
        for (const auto* e : pool) counts[std::string(rules::to_string(e->label))][e->lang]++;
        json::object count_json;
        for (const auto& [level, by_lang] : counts) {
            json::object l;
            for (const auto& [lang, n] : by_lang) l[lang] = n;
            count_json[level] = std::move(l);
        }
        json::array confusion;
        for (const auto& row : cv.confusion) {
            json::array r;
            for (auto v : row) r.emplace_back(v);
            confusion.push_back(std::move(r));
        }
        const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
        char date[32];
        std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
        json::object card{
            {"version", version},
            {"created", date},
            {"model_file", fs::path(o.out).filename().string()},
            {"model_sha256", sha},
            {"model_bytes", bytes->size()},
            {"training_data_sha256", sha256_hex(all_bytes)},
            {"trained_on", pool.size()},
            {"examples_per_urgency", std::move(count_json)},
            {"thresholds", json::object{{"self_care", t.self_care}, {"routine", t.routine}, {"urgent", t.urgent}, {"emergency", t.emergency}}},
            {"threshold_policy", json::object{{"emergency_recall", o.emergency_recall}, {"urgent_recall", o.urgent_recall},
                                              {"routine_recall", o.routine_recall}, {"self_care_recall", o.self_care_recall}}},
            {"parameters", json::object{{"library", "fastText 0.9.2 (supervised, softmax)"}, {"seed", o.seed}, {"epoch", o.epoch},
                                        {"lr", o.lr}, {"dim", o.dim}, {"word_ngrams", o.word_ngrams}, {"minn", o.minn},
                                        {"maxn", o.maxn}, {"bucket", o.bucket}, {"threads", 1}}},
            {"cross_validation", json::object{{"folds", o.folds}, {"confusion_label_by_predicted", std::move(confusion)}}},
        };
        std::ofstream(card_path(o.out, ".json"), std::ios::binary) << json::serialize(card) << '\n';

        std::string md = "# Urgency model card: " + version + "\n\n";
        md += "- Created: " + std::string(date) + "\n- Model: `" + fs::path(o.out).filename().string() + "`, " +
              std::to_string(bytes->size()) + " bytes, SHA-256 `" + sha + "`\n";
        md += "- Training data: " + std::to_string(pool.size()) + " distinct messages (SHA-256 of the case files `" +
              sha256_hex(all_bytes) + "`)\n";
        md += "- fastText 0.9.2 supervised, softmax over the five urgency levels; seed " + std::to_string(o.seed) + ", " +
              std::to_string(o.epoch) + " epochs, dim " + std::to_string(o.dim) + ", word n-grams " +
              std::to_string(o.word_ngrams) + ", character n-grams " + std::to_string(o.minn) + "-" + std::to_string(o.maxn) +
              ", one thread (deterministic)\n";
        md += "- Input: the message normalised and deobfuscated (`urgency_model_input`), as the rules read it\n";
        md += "- Use: beside the rules, it may only raise the urgency (and escalate on emergency), never lower it\n\n";
        char th[512];
        std::snprintf(th, sizeof th,
                      "## Thresholds\n\nThe level is the highest L with P(urgency >= L) >= threshold(L): emergency %.3f, "
                      "urgent %.3f, routine %.3f, self_care %.3f.\n",
                      t.emergency, t.urgent, t.routine, t.self_care);
        md += th;
        std::snprintf(th, sizeof th,
                      "Chosen on %d-fold out-of-fold predictions, counting the rules' own findings, for recall first: "
                      "each is the highest that keeps %.1f%% (emergency), %.1f%% (urgent), %.1f%% (routine), %.1f%% "
                      "(self-care) of the cases at that level or above.\n\n",
                      o.folds, o.emergency_recall, o.urgent_recall, o.routine_recall, o.self_care_recall);
        md += th;
        md += "## Out-of-fold figures (the model alone, without the rules)\n\n| language | emergency recall | exact | safe |\n|---|---|---|---|\n";
        for (const auto& [lang, r] : cv.exact_by_lang) {
            md += "| " + lang + " | " + pct(cv.emergency_recall_by_lang.count(lang) ? cv.emergency_recall_by_lang.at(lang) : std::pair<std::size_t, std::size_t>{0, 0}) +
                  " | " + pct(r) + " | " + pct(cv.safe_by_lang.at(lang)) + " |\n";
        }
        md += "\nHard negatives read as emergency: " + pct(cv.hard_negative_alarms) + "\n\n";
        md += "## Out-of-fold figures with the rules (as the server decides)\n\n| language | emergency recall | exact | safe |\n|---|---|---|---|\n";
        for (const auto& [lang, r] : both.exact_by_lang) {
            md += "| " + lang + " | " + pct(both.emergency_recall_by_lang.count(lang) ? both.emergency_recall_by_lang.at(lang) : std::pair<std::size_t, std::size_t>{0, 0}) +
                  " | " + pct(r) + " | " + pct(both.safe_by_lang.at(lang)) + " |\n";
        }
        md += "\nHard negatives assessed emergency: " + pct(both.hard_negative_alarms) + "\n\n";
        md += "Emergency threshold against what it costs (out of fold, with the rules):\n\n| threshold | emergency recall | hard negatives assessed emergency |\n|---|---|---|\n";
        for (double v : {0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5}) {
            auto tv = t;
            tv.emergency = v;
            const figures c = measure(pool, oof, tv, true);
            std::pair<std::size_t, std::size_t> r{0, 0};
            for (const auto& [lang, x] : c.emergency_recall_by_lang) {
                r.first += x.first;
                r.second += x.second;
            }
            char row[128];
            std::snprintf(row, sizeof row, "| %.2f | %s | %s |\n", v, pct(r).c_str(), pct(c.hard_negative_alarms).c_str());
            md += row;
        }
        md += "\n";
        md += "Confusion of the model alone (rows: label, columns: predicted):\n\n| | none | self_care | routine | urgent | emergency |\n|---|---|---|---|---|---|\n";
        for (std::size_t r = 0; r < 5; ++r) {
            md += "| " + std::string(rules::to_string(static_cast<rules::urgency>(r))) + " |";
            for (auto v : cv.confusion[r]) md += " " + std::to_string(v) + " |";
            md += "\n";
        }
        md += "\nThese are figures on data like the training data; the blind figures are in docs/rules.md.\n";
        std::ofstream(card_path(o.out, ".md"), std::ios::binary) << md;
        std::fwrite(md.data(), 1, md.size(), stdout);
        std::printf("\nwrote %s and its card\n", o.out.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "triagectl: training failed: %s\n", e.what());
        return 1;
    }
}

}  // namespace triage::server
