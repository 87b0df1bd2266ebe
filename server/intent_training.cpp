#include "server/intent_training.hpp"

#include "dialog/intent_model.hpp"

#include <boost/json.hpp>
#include <fasttext/fasttext.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace json = boost::json;
namespace fs = std::filesystem;

namespace triage::server {

namespace {

constexpr std::array admin_intents{"book_appointment", "reschedule_appointment", "cancel_appointment",
                                   "prescription_refill", "test_results", "billing", "clinic_info", "speak_to_human"};

std::uint32_t fnv1a(std::string_view s) {
    std::uint32_t h = 2166136261u;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h;
}

bool valid_intent_name(std::string_view s) {
    return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

// A scratch folder removed on every path out.
struct scratch_dir {
    fs::path path;
    scratch_dir() {
        std::string tmpl = (fs::temp_directory_path() / "triage-train-XXXXXX").string();
        if (char* p = mkdtemp(tmpl.data())) path = p;
    }
    ~scratch_dir() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
};

fasttext::Args args_for(const training_options& o, const std::string& input) {
    fasttext::Args a;
    a.input = input;
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
    return a;
}

// Trains on `train` (written in the given order) and returns the model.
std::unique_ptr<fasttext::FastText> train(const std::vector<const intent_example*>& examples,
                                          const training_options& o, const fs::path& dir) {
    const fs::path input = dir / "train.txt";
    {
        std::ofstream out(input, std::ios::binary);
        for (const auto* e : examples) out << "__label__" << e->intent << ' ' << dialog::model_input(e->text) << '\n';
    }
    auto model = std::make_unique<fasttext::FastText>();
    model->train(args_for(o, input.string()));
    return model;
}

std::string predict(const fasttext::FastText& m, const std::string& text) {
    std::istringstream in(dialog::model_input(text) + "\n");
    std::vector<std::pair<fasttext::real, std::string>> p;
    m.predictLine(in, p, 1, 0.0);
    if (p.empty()) return "other";
    std::string label = p.front().second;
    if (label.starts_with("__label__")) label.erase(0, 9);
    return label;
}

// Deterministic order: grouped by (intent, language), each group shuffled with the seed.
std::map<std::pair<std::string, std::string>, std::vector<const intent_example*>> strata(
    const std::vector<const intent_example*>& examples, int seed) {
    std::map<std::pair<std::string, std::string>, std::vector<const intent_example*>> by;
    for (const auto* e : examples) by[{e->intent, e->lang}].push_back(e);
    std::mt19937 rng(static_cast<std::uint32_t>(seed));
    for (auto& [key, list] : by) std::shuffle(list.begin(), list.end(), rng);
    return by;
}

std::vector<const intent_example*> interleaved(const std::vector<const intent_example*>& examples, int seed) {
    std::vector<const intent_example*> out(examples);
    std::mt19937 rng(static_cast<std::uint32_t>(seed) ^ 0x9e3779b9u);
    std::shuffle(out.begin(), out.end(), rng);
    return out;
}

json::object metrics_json(const intent_metrics& m) {
    json::object per_intent;
    for (const auto& i : m.intents) {
        per_intent[i] = json::object{{"precision", m.precision.at(i)}, {"recall", m.recall.at(i)}, {"f1", m.f1.at(i)}};
    }
    json::array confusion;
    for (const auto& row : m.confusion) {
        json::array r;
        for (auto v : row) r.emplace_back(v);
        confusion.push_back(std::move(r));
    }
    json::object admin;
    for (const auto& [lang, rt] : m.admin_by_language) {
        admin[lang] = json::object{{"right", rt.first}, {"total", rt.second},
                                   {"accuracy", rt.second ? static_cast<double>(rt.first) / static_cast<double>(rt.second) : 0.0}};
    }
    return json::object{{"accuracy", m.total ? static_cast<double>(m.right) / static_cast<double>(m.total) : 0.0},
                        {"examples", m.total},
                        {"admin_accuracy_by_language", std::move(admin)},
                        {"per_intent", std::move(per_intent)},
                        {"confusion", json::object{{"labels", json::value_from(m.intents)}, {"rows_true_columns_predicted", std::move(confusion)}}}};
}

std::string pct(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * x);
    return buf;
}

std::string metrics_markdown(const intent_metrics& m) {
    std::string out;
    out += "Accuracy " + pct(m.total ? double(m.right) / double(m.total) : 0) + " on " + std::to_string(m.total) + " examples.\n\n";
    out += "| language | admin intents right | accuracy |\n|---|---|---|\n";
    for (const auto& [lang, rt] : m.admin_by_language) {
        out += "| " + lang + " | " + std::to_string(rt.first) + "/" + std::to_string(rt.second) + " | " +
               pct(rt.second ? double(rt.first) / double(rt.second) : 0) + " |\n";
    }
    out += "\n| intent | precision | recall | F1 |\n|---|---|---|---|\n";
    for (const auto& i : m.intents) {
        out += "| " + i + " | " + pct(m.precision.at(i)) + " | " + pct(m.recall.at(i)) + " | " + pct(m.f1.at(i)) + " |\n";
    }
    out += "\nConfusion matrix (rows: true intent, columns: predicted, same order):\n\n| |";
    for (std::size_t c = 0; c < m.intents.size(); ++c) out += " " + std::to_string(c + 1) + " |";
    out += "\n|---|";
    for (std::size_t c = 0; c < m.intents.size(); ++c) out += "---|";
    out += "\n";
    for (std::size_t r = 0; r < m.intents.size(); ++r) {
        out += "| " + std::to_string(r + 1) + " " + m.intents[r] + " |";
        for (auto v : m.confusion[r]) out += " " + std::to_string(v) + " |";
        out += "\n";
    }
    return out;
}

}  // namespace

std::string card_path(const std::string& model_path, std::string_view extension) {
    fs::path p(model_path);
    p.replace_extension();
    return p.string() + ".card" + std::string(extension);
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    return hex;
}

bool is_admin_intent(std::string_view intent) {
    return std::find(admin_intents.begin(), admin_intents.end(), intent) != admin_intents.end();
}

void intent_metrics::add(const std::string& truth, const std::string& predicted, const std::string& lang) {
    auto index = [&](const std::string& i) {
        auto it = std::lower_bound(intents.begin(), intents.end(), i);
        if (it == intents.end() || *it != i) {
            const auto at = static_cast<std::size_t>(it - intents.begin());
            intents.insert(it, i);
            confusion.insert(confusion.begin() + static_cast<std::ptrdiff_t>(at), std::vector<std::size_t>(intents.size() - 1, 0));
            for (auto& row : confusion) row.insert(row.begin() + static_cast<std::ptrdiff_t>(at), 0);
            return at;
        }
        return static_cast<std::size_t>(it - intents.begin());
    };
    index(truth);
    const std::size_t p = index(predicted);
    const std::size_t t = index(truth);  // adding `predicted` may have moved it
    confusion[t][p]++;
    ++total;
    if (truth == predicted) ++right;
    if (is_admin_intent(truth)) {
        auto& [r, n] = admin_by_language[lang];
        ++n;
        if (truth == predicted) ++r;
    }
}

void intent_metrics::finish() {
    for (std::size_t i = 0; i < intents.size(); ++i) {
        std::size_t tp = confusion[i][i], predicted = 0, actual = 0;
        for (std::size_t k = 0; k < intents.size(); ++k) {
            predicted += confusion[k][i];
            actual += confusion[i][k];
        }
        const double p = predicted ? double(tp) / double(predicted) : 0.0;
        const double r = actual ? double(tp) / double(actual) : 0.0;
        precision[intents[i]] = p;
        recall[intents[i]] = r;
        f1[intents[i]] = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    }
}

intent_corpus parse_intent_corpus(std::string_view jsonl, std::string_view file_name) {
    intent_corpus out;
    std::set<std::string> seen;
    std::size_t line_no = 0, pos = 0;
    while (pos < jsonl.size()) {
        std::size_t end = jsonl.find('\n', pos);
        if (end == std::string_view::npos) end = jsonl.size();
        std::string_view line = jsonl.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        auto fail = [&](const std::string& m) { out.errors.push_back(std::string(file_name) + ":" + std::to_string(line_no) + ": " + m); };
        // Skipped, not fatal: a duplicate would sit on both sides of a cross-validation split.
        auto skip = [&](const std::string& m) { out.warnings.push_back(std::string(file_name) + ":" + std::to_string(line_no) + ": skipped: " + m); };
        json::error_code ec;
        auto v = json::parse(line, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        if (!o) { fail("not a JSON object"); continue; }
        const json::value* text = o->if_contains("text");
        const json::value* intent = o->if_contains("intent");
        const json::value* lang = o->if_contains("lang");
        if (!text || !text->is_string() || !intent || !intent->is_string() || !lang || !lang->is_string()) {
            fail("expected {\"text\": \"...\", \"intent\": \"...\", \"lang\": \"en\"|\"es\"}");
            continue;
        }
        intent_example e{std::string(text->as_string()), std::string(intent->as_string()), std::string(lang->as_string())};
        if (!valid_intent_name(e.intent)) { fail("intent '" + e.intent + "' must be lower-case letters, digits and '_'"); continue; }
        if (e.lang != "en" && e.lang != "es") { fail("unknown lang '" + e.lang + "' (expected en or es)"); continue; }
        if (dialog::model_input(e.text).empty()) { skip("no words once normalised (emoji and punctuation only)"); continue; }
        if (!seen.insert(e.lang + "\n" + dialog::model_input(e.text)).second) { skip("same words as an earlier example"); continue; }
        out.examples.push_back(std::move(e));
    }
    return out;
}

training_result train_intent_model(const intent_corpus& corpus, std::string_view corpus_bytes,
                                   const training_options& o, const std::string& model_path,
                                   const std::string& version_in, void (*progress)(const std::string&)) {
    training_result result;
    auto say = [&](const std::string& s) { if (progress) progress(s); };
    try {
        if (sodium_init() < 0) { result.error = "libsodium failed to start"; return result; }
        if (o.folds < 2) { result.error = "--folds must be at least 2"; return result; }
        scratch_dir dir;
        if (dir.path.empty()) { result.error = "cannot create a temporary folder"; return result; }

        std::vector<const intent_example*> pool, holdout, train_only;
        for (const auto& e : corpus.examples) {
            if (e.train_only) {
                train_only.push_back(&e);
                continue;
            }
            const bool held = o.holdout_percent > 0 && fnv1a(e.lang + "\n" + dialog::model_input(e.text)) % 100 <
                                                           static_cast<std::uint32_t>(o.holdout_percent);
            (held ? holdout : pool).push_back(&e);
        }
        if (pool.empty()) { result.error = "nothing left to train on"; return result; }

        training_report rep;
        // Cross-validation: stratified folds over the training pool.
        auto by = strata(pool, o.seed);
        std::vector<int> fold_of_index;
        std::vector<const intent_example*> ordered;
        for (auto& [key, list] : by) {
            for (std::size_t i = 0; i < list.size(); ++i) {
                ordered.push_back(list[i]);
                fold_of_index.push_back(static_cast<int>(i % static_cast<std::size_t>(o.folds)));
            }
        }
        for (int f = 0; f < o.folds; ++f) {
            say("cross-validation fold " + std::to_string(f + 1) + "/" + std::to_string(o.folds));
            std::vector<const intent_example*> train_set(train_only), test_set;
            for (std::size_t i = 0; i < ordered.size(); ++i) (fold_of_index[i] == f ? test_set : train_set).push_back(ordered[i]);
            auto m = train(interleaved(train_set, o.seed + f), o, dir.path);
            for (const auto* e : test_set) rep.cross_validation.add(e->intent, predict(*m, e->text), e->lang);
        }
        rep.cross_validation.finish();

        std::vector<const intent_example*> everything(pool);
        everything.insert(everything.end(), train_only.begin(), train_only.end());
        say("training the final model on " + std::to_string(everything.size()) + " examples");
        auto final_model = train(interleaved(everything, o.seed), o, dir.path);
        final_model->saveModel(model_path);
        std::ifstream in(model_path, std::ios::binary);
        std::stringstream bytes;
        bytes << in.rdbuf();
        const std::string model_bytes = bytes.str();
        if (model_bytes.empty()) { result.error = "cannot write " + model_path; return result; }
        rep.model_path = model_path;
        rep.model_bytes = model_bytes.size();
        rep.model_sha256 = sha256_hex(model_bytes);
        rep.corpus_sha256 = sha256_hex(corpus_bytes);
        rep.trained_on = everything.size();
        rep.version = version_in.empty() ? o.version_prefix + rep.model_sha256.substr(0, 12) : version_in;
        if (!holdout.empty()) {
            say("measuring on " + std::to_string(holdout.size()) + " held-out examples");
            intent_metrics h;
            for (const auto* e : holdout) h.add(e->intent, predict(*final_model, e->text), e->lang);
            h.finish();
            rep.holdout = std::move(h);
        }

        // The card. The date is the only field that changes between identical trainings.
        const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
        char date[32];
        std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
        std::map<std::string, std::map<std::string, int>> counts;
        for (const auto* e : everything) counts[e->intent][e->lang]++;
        json::object count_json;
        for (const auto& [intent, by_lang] : counts) {
            json::object l;
            for (const auto& [lang, n] : by_lang) l[lang] = n;
            count_json[intent] = std::move(l);
        }
        json::object card{
            {"version", rep.version},
            {"created", date},
            {"model_file", fs::path(model_path).filename().string()},
            {"model_sha256", rep.model_sha256},
            {"model_bytes", rep.model_bytes},
            {"training_data_sha256", rep.corpus_sha256},
            {"trained_on", rep.trained_on},
            {"held_out", holdout.size()},
            {"train_only", train_only.size()},
            {"examples_per_intent", std::move(count_json)},
            {"parameters", json::object{{"library", "fastText 0.9.2 (supervised, softmax)"},
                                        {"seed", o.seed}, {"epoch", o.epoch}, {"lr", o.lr}, {"dim", o.dim},
                                        {"word_ngrams", o.word_ngrams}, {"minn", o.minn}, {"maxn", o.maxn},
                                        {"bucket", o.bucket}, {"threads", 1}}},
            {"cross_validation", json::object{{"folds", o.folds}, {"metrics", metrics_json(rep.cross_validation)}}},
        };
        if (rep.holdout) card["holdout"] = json::object{{"percent", o.holdout_percent}, {"metrics", metrics_json(*rep.holdout)}};
        rep.card_json = json::serialize(card);

        std::string md = "# Intent model card: " + rep.version + "\n\n";
        md += "- Created: " + std::string(date) + "\n- Model: `" + fs::path(model_path).filename().string() + "`, " +
              std::to_string(rep.model_bytes) + " bytes, SHA-256 `" + rep.model_sha256 + "`\n";
        md += "- Training data: SHA-256 `" + rep.corpus_sha256 + "`, " + std::to_string(rep.trained_on) + " examples trained on";
        md += holdout.empty() ? "" : ", " + std::to_string(holdout.size()) + " held out";
        md += train_only.empty() ? "\n" : " (" + std::to_string(train_only.size()) + " of them generated, trained on only, never measured)\n";
        md += "- fastText 0.9.2 supervised, softmax; seed " + std::to_string(o.seed) + ", " + std::to_string(o.epoch) +
              " epochs, dim " + std::to_string(o.dim) + ", word n-grams " + std::to_string(o.word_ngrams) +
              ", character n-grams " + std::to_string(o.minn) + "-" + std::to_string(o.maxn) + ", one thread (deterministic)\n";
        md += "\n## " + std::to_string(o.folds) + "-fold cross-validation\n\n" + metrics_markdown(rep.cross_validation);
        if (rep.holdout) md += "\n## Held-out split (" + std::to_string(o.holdout_percent) + "%, never trained on)\n\n" + metrics_markdown(*rep.holdout);
        rep.card_markdown = md;

        std::ofstream(card_path(model_path, ".json"), std::ios::binary) << rep.card_json << '\n';
        std::ofstream(card_path(model_path, ".md"), std::ios::binary) << rep.card_markdown;
        result.report = std::move(rep);
    } catch (const std::exception& e) {
        result.error = std::string("training failed: ") + e.what();
    }
    return result;
}

}  // namespace triage::server
