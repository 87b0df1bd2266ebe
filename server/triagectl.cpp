// triagectl: the admin command line (migrations, clinics, keys, checking flows and rule packs,
// classifying messages exactly as the server does).
#include "dialog/flow_loader.hpp"
#include "dialog/intent_model.hpp"
#include "integrations/phi/keyring.hpp"
#include "integrations/postgres/migrations.hpp"
#include "integrations/event_sink.hpp"
#include "dialog/slot_time.hpp"
#include "server/app.hpp"
#include "server/assess.hpp"
#include "server/clinic_directory.hpp"
#include "server/conversation_drill.hpp"
#include "server/ids.hpp"
#include "server/intent_training.hpp"
#include "server/urgency_training.hpp"
#include "triage-rules/engine.hpp"
#include "triage-rules/evaluation.hpp"

#include "server/triagectl_feedback.hpp"
#include "server/triagectl_staff.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <set>

namespace asio = boost::asio;
namespace pg = triage::integrations::postgres;
using namespace triage;

namespace {

int usage() {
    std::fputs(
        "usage: triagectl [--config FILE] COMMAND [ARGS]\n"
        "commands:\n"
        "  migrate                         apply database migrations\n"
        "  seed-demo [--origin URL]... [--time-zone IANA]   create or update the demo clinic (slug 'demo')\n"
        "  clinic add SLUG NAME [--origin URL]... [--time-zone IANA]   create or update a clinic\n"
        "                                  (time zone default America/New_York)\n"
        "  staff add|disable, clinic sla, canned-reply set   the escalation desk (run one for its usage)\n"
        "  feedback export SLUG [--since DATE] [--out FILE]   clinicians' verdicts, de-identified, as a corpus\n"
        "  gen-master-key                  print a new random master key (64 hex characters)\n"
        "  check-flow FILE                 validate a flow file\n"
        "  check-rules FILE                validate a rule pack\n"
        "  rules test PACK.yaml... CASES.jsonl... [--urgency-model FILE | --rules-only] [--intent-model FILE]\n"
        "             [--min-recall PCT] [--max-false-alarms PCT] [--max-over-triage PCT]\n"
        "                                  evaluate packs as a default server does (rules and the urgency\n"
        "                                  model; --rules-only for the rules alone) on\n"
        "                                  labelled cases, per language, age group, kind, category and tag;\n"
        "                                  fails below the recall floor (100) or above the false-alarm\n"
        "                                  ceiling on hard negatives\n"
        "  rules model train CASES.jsonl... [--out FILE] [--seed N] [--folds K] [--min-recall PCT] [--version V]\n"
        "                                  train the urgency model, choose its thresholds and write its card\n"
        "  rules list PACK.yaml... [--markdown]   list the rules in force\n"
        "  conversations test [CORPUS.jsonl...] [--flow FILE] [--outcomes FILE] [--min-completion PCT] [--max-dead-ends N] [--show N]\n"
        "                                  play scripted patients against the flow (no network): task completion,\n"
        "                                  dead ends, turns per task, misunderstandings, per language and task\n"
        "  model train [CORPUS.jsonl...] [--extra TRAIN_ONLY.jsonl]... [--out FILE] [--seed N] [--folds K] [--holdout PCT] [--version V]\n"
        "              [--label lang]   (the language model: each line labelled with its language, dialog/language/model.bin)\n"
        "              [--epoch N] [--lr X] [--dim N] [--word-ngrams N] [--minn N] [--maxn N]\n"
        "                                  train the intent model and write its card next to it\n"
        "  classify [--rules FILE]... [--urgency-model FILE | --rules-only] [--model FILE | --intents KEYWORDS.yaml]\n"
        "           [--language-model FILE] [--explain]   (--language-model adds language, language_confidence)\n"
        "                                  read JSON lines {id,text,lang} on stdin, write assessments\n",
        stderr);
    return 2;
}

std::optional<server::config> load_cfg(const std::string& path) {
    std::string text;
    if (!path.empty()) {
        auto t = server::read_text_file(path);
        if (!t) {
            std::fprintf(stderr, "triagectl: cannot read %s\n", path.c_str());
            return std::nullopt;
        }
        text = *t;
    }
    auto r = server::load_config(text, path.empty() ? "(defaults)" : path, [](const std::string& n) -> std::optional<std::string> {
        const char* v = std::getenv(n.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
    });
    // Commands here need only some keys; report only errors about what they use.
    if (!r.loaded) {
        bool fatal = false;
        for (const auto& e : r.errors)
            if (e.find("tls:") == std::string::npos && e.find("master_key_file:") == std::string::npos &&
                e.find("TRIAGE_STAFF_SSO_CLIENT_SECRET") == std::string::npos) {
                std::fprintf(stderr, "triagectl: config: %s\n", e.c_str());
                fatal = true;
            }
        if (fatal) return std::nullopt;
        // Re-load in development mode with a dummy key source to get the struct.
        auto relaxed = server::load_config(text, path, [](const std::string& n) -> std::optional<std::string> {
            if (n == "TRIAGE_MODE") return std::string("development");
            if (n == "TRIAGE_LISTEN_ADDRESS") return std::string("127.0.0.1");
            if (n == "TRIAGE_MASTER_KEY") return std::string("unused");
            if (n == "TRIAGE_STAFF_SSO_CLIENT_SECRET") return std::string("unused");
            const char* v = std::getenv(n.c_str());
            return v ? std::optional<std::string>(v) : std::nullopt;
        });
        if (!relaxed.loaded) return std::nullopt;
        return relaxed.loaded;
    }
    return r.loaded;
}


template <class F>
int with_db(const server::config& c, F body) {
    asio::io_context ctx;
    integrations::null_event_sink sink;
    pg::connection conn(ctx.get_executor(), server::tool_postgres_settings(c), sink);
    auto fut = asio::co_spawn(ctx, [&]() -> asio::awaitable<int> {
        if (auto ec = co_await conn.async_connect()) {
            std::fprintf(stderr, "triagectl: cannot connect to PostgreSQL at %s:%u (%s)\n", c.postgres.hostaddr.c_str(),
                         static_cast<unsigned>(c.postgres.port), ec.message().c_str());
            co_return 1;
        }
        co_return co_await body(conn);
    }(), asio::use_future);
    ctx.run();
    return fut.get();
}

int upsert_clinic(const server::config& c, std::string slug, std::string name, std::vector<std::string> origins,
                  std::string time_zone) {
    return with_db(c, [&](pg::connection& conn) -> asio::awaitable<int> {
        boost::json::array arr;
        for (auto& o : origins) arr.emplace_back(o);
        pg::statement st{"INSERT INTO clinics (id, slug, name, allowed_origins, timezone) "
                         "SELECT $1, $2, $3, ARRAY(SELECT json_array_elements_text($4::json)), $5 "
                         "ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, allowed_origins = EXCLUDED.allowed_origins, "
                         "timezone = EXCLUDED.timezone "
                         "RETURNING id",
                         {pg::text(server::new_uuid()), pg::text(slug), pg::text(name), pg::text(boost::json::serialize(arr)),
                          pg::text(time_zone)}};
        auto r = co_await conn.async_query(std::move(st));
        if (!r) {
            std::fprintf(stderr, "triagectl: could not store the clinic (%s); is the schema migrated?\n",
                         r.error().message().c_str());
            co_return 1;
        }
        std::printf("clinic %s (%s) ready, id %s\n", slug.c_str(), name.c_str(), r->at(0, 0)->c_str());
        co_return 0;
    });
}

bool ends_with_any(const std::string& s, std::initializer_list<std::string_view> suffixes) {
    for (auto x : suffixes)
        if (s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0) return true;
    return false;
}

int rules_test(const std::vector<std::string>& args) {
    std::vector<std::string> packs, case_files;
    double max_over = 10.0, max_alarms = 100.0, min_recall = 100.0;
    const server::config defaults;
    std::string urgency_file = defaults.urgency_model;
    std::string intent_file = defaults.intent_model;
    bool over_set = false;
    auto percentage = [&](std::size_t& i, double& to) {
        char* end = nullptr;
        to = std::strtod(args[++i].c_str(), &end);
        if (end == nullptr || *end != '\0' || to < 0 || to > 100) {
            std::fprintf(stderr, "triagectl: %s wants a percentage from 0 to 100\n", args[i - 1].c_str());
            return false;
        }
        return true;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--max-over-triage" && i + 1 < args.size()) {
            if (!percentage(i, max_over)) return 2;
            over_set = true;
        } else if (args[i] == "--max-false-alarms" && i + 1 < args.size()) {
            if (!percentage(i, max_alarms)) return 2;
        } else if (args[i] == "--min-recall" && i + 1 < args.size()) {
            if (!percentage(i, min_recall)) return 2;
        } else if (args[i] == "--urgency-model" && i + 1 < args.size()) {
            urgency_file = args[++i];
        } else if (args[i] == "--rules-only") {
            urgency_file.clear();
        } else if (args[i] == "--intent-model" && i + 1 < args.size()) {
            intent_file = args[++i];
        } else if (ends_with_any(args[i], {".yaml", ".yml"})) {
            packs.push_back(args[i]);
        } else if (ends_with_any(args[i], {".jsonl", ".json"})) {
            case_files.push_back(args[i]);
        } else {
            std::fprintf(stderr, "triagectl: %s is neither a rule pack (.yaml) nor a case file (.jsonl)\n", args[i].c_str());
            return 2;
        }
    }
    if (packs.empty() || case_files.empty()) {
        std::fprintf(stderr, "usage: triagectl rules test PACK.yaml... CASES.jsonl... [--max-over-triage PCT]\n");
        return 2;
    }
    auto engine = server::load_rule_engine(packs);
    if (!engine) return 2;
    std::vector<rules::labelled_case> cases;
    bool bad = false;
    for (const auto& f : case_files) {
        auto text = server::read_text_file(f);
        if (!text) {
            std::fprintf(stderr, "triagectl: cannot read %s\n", f.c_str());
            return 2;
        }
        auto parsed = rules::parse_cases(*text, f);
        for (const auto& e : parsed.errors) std::fprintf(stderr, "%s\n", e.c_str());
        bad = bad || !parsed.errors.empty();
        for (auto& c : parsed.cases) cases.push_back(std::move(c));
    }
    if (bad) {
        std::fprintf(stderr, "triagectl: fix the case files first\n");
        return 2;
    }
    auto urgency = server::load_urgency_model(urgency_file);
    if (!urgency.error.empty()) {
        std::fprintf(stderr, "triagectl: %s\n", urgency.error.c_str());
        return 2;
    }
    // The intent model is only needed for the admin-intent figure; without it that figure is left out.
    auto intents = server::load_intents(intent_file, defaults.intents_file);
    const auto ev = rules::evaluate(cases, [&](const rules::labelled_case& c) {
        if (intents.classifier) {
            auto a = server::assess_message(*engine, urgency.model.get(), *intents.classifier, c.text);
            return rules::case_verdict{std::move(a.triage), std::move(a.intent.intent)};
        }
        auto a = engine->assess(c.text);
        if (urgency.model) rules::apply_model(a, urgency.model->estimate(c.text));
        return rules::case_verdict{std::move(a), {}};
    });
    std::string version = engine->version();
    if (urgency.model) version += " with urgency model " + urgency.model->version();
    const std::string report = rules::format_report(ev, version);
    std::fwrite(report.data(), 1, report.size(), stdout);
    int rc = 0;
    if (ev.emergency_recall.total && ev.emergency_recall.percent() < min_recall) {
        std::printf("\nFAIL: %zu emergencies missed (recall %.1f%%, floor %.1f%%)\n", ev.missed_emergencies.size(),
                    ev.emergency_recall.percent(), min_recall);
        rc = 1;
    }
    if (ev.hard_negative_false_alarms.percent() > max_alarms) {
        std::printf("\nFAIL: %.1f%% of hard negatives escalated, above %.1f%%\n", ev.hard_negative_false_alarms.percent(),
                    max_alarms);
        rc = 1;
    }
    // With the model, over-triage by one level is the price of recall; the gate that matters for
    // staff is escalation (--max-false-alarms). Over-triage is gated when asked for, or for rules alone.
    if ((over_set || !urgency.model) && ev.hard_negative_over_triage.percent() > max_over) {
        std::printf("\nFAIL: over-triage on hard negatives %.1f%% is above %.1f%%\n",
                    ev.hard_negative_over_triage.percent(), max_over);
        rc = 1;
    }
    if (rc == 0) std::printf("\nPASS\n");
    return rc;
}

int rules_list(const std::vector<std::string>& args) {
    std::vector<std::string> packs;
    bool markdown = false;
    for (const auto& a : args) {
        if (a == "--markdown") markdown = true;
        else packs.push_back(a);
    }
    if (packs.empty()) packs.push_back("triage-rules/packs/core.yaml");
    auto engine = server::load_rule_engine(packs);
    if (!engine) return 2;
    std::vector<const rules::red_flag_rule*> ordered;
    for (const auto& r : engine->rules()) ordered.push_back(&r);
    if (markdown) {
        // Most urgent first, then by category, for people reading the list.
        std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
            return a->level != b->level ? a->level > b->level : a->category < b->category;
        });
        std::printf("| rule | category | urgency | escalate | also requires | why | source |\n|---|---|---|---|---|---|---|\n");
    }
    for (const auto* rp : ordered) {
        const auto& r = *rp;
        std::string req;
        for (const auto& g : r.requires_all) {
            // A concept made of findings reads best as its finding names; one made of phrases as
            // its first English phrase.
            std::string shown;
            if (auto f = g.find(std::string(rules::findings_key)); f != g.end()) {
                for (const auto& name : f->second) shown += (shown.empty() ? "" : "/") + name;
            }
            if (auto it = g.find("en"); it != g.end() && !it->second.empty()) {
                shown += (shown.empty() ? "" : "/") + it->second.front();
            }
            if (shown.empty() && !g.empty() && !g.begin()->second.empty()) shown = g.begin()->second.front();
            req += (req.empty() ? "" : " + ") + shown;
        }
        if (markdown) {
            std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", r.id.c_str(), r.category.c_str(),
                        std::string(rules::to_string(r.level)).c_str(), r.escalate ? "yes" : "no", req.c_str(),
                        r.rationale.c_str(), r.guideline.c_str());
        } else {
            std::printf("%-32s %-14s %-10s %s\n", r.id.c_str(), r.category.c_str(),
                        std::string(rules::to_string(r.level)).c_str(), r.guideline.c_str());
        }
    }
    for (const auto& o : engine->overrides()) {
        std::printf("%soverride by %s: %s disabled (%s; approved by %s)\n", markdown ? "\n" : "", o.pack.c_str(),
                    o.what.rule_id.c_str(), o.what.reason.c_str(), o.what.approved_by.c_str());
    }
    return 0;
}

int model_train(const std::vector<std::string>& args) {
    std::vector<std::string> corpus_files;
    std::vector<std::string> extra_files;
    std::string out;
    std::string version;
    bool label_language = false;
    server::training_options o;
    auto number = [](const std::string& s, int lo, int hi, int& to) {
        char* end = nullptr;
        long v = std::strtol(s.c_str(), &end, 10);
        if (end == s.c_str() || *end != '\0' || v < lo || v > hi) return false;
        to = static_cast<int>(v);
        return true;
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        const bool has_value = i + 1 < args.size();
        if (a == "--out" && has_value) out = args[++i];
        else if (a == "--label" && has_value && args[i + 1] == "lang") { label_language = true; ++i; }
        else if (a == "--version" && has_value) version = args[++i];
        else if (a == "--extra" && has_value) extra_files.push_back(args[++i]);
        else if (a == "--seed" && has_value && number(args[i + 1], 0, 1 << 30, o.seed)) ++i;
        else if (a == "--folds" && has_value && number(args[i + 1], 2, 20, o.folds)) ++i;
        else if (a == "--holdout" && has_value && number(args[i + 1], 0, 90, o.holdout_percent)) ++i;
        else if (a == "--epoch" && has_value && number(args[i + 1], 1, 1000, o.epoch)) ++i;
        else if (a == "--dim" && has_value && number(args[i + 1], 2, 300, o.dim)) ++i;
        else if (a == "--word-ngrams" && has_value && number(args[i + 1], 1, 5, o.word_ngrams)) ++i;
        else if (a == "--minn" && has_value && number(args[i + 1], 0, 10, o.minn)) ++i;
        else if (a == "--maxn" && has_value && number(args[i + 1], 0, 10, o.maxn)) ++i;
        else if (a == "--lr" && has_value) o.lr = std::strtod(args[++i].c_str(), nullptr);
        else if (!a.starts_with("--")) corpus_files.push_back(a);
        else {
            std::fprintf(stderr, "triagectl: model train: bad option %s (see --help)\n", a.c_str());
            return 2;
        }
    }
    if (corpus_files.empty() && extra_files.empty()) {
        corpus_files = {"dialog/intents/corpus.jsonl", "dialog/intents/corpus_hand2.jsonl",
                        "dialog/intents/corpus_hand3.jsonl", "dialog/intents/corpus_hand4.jsonl",
                        "dialog/intents/corpus_hand5.jsonl"};
        extra_files = {"dialog/intents/corpus_more.jsonl", "dialog/intents/corpus_boundaries.jsonl",
                       "dialog/intents/corpus_es.jsonl", "dialog/intents/corpus_frontdesk.jsonl",
                       "dialog/intents/corpus_retired_blind.jsonl"};
    }
    if (out.empty()) out = label_language ? "dialog/language/model.bin" : "dialog/intents/model.bin";
    if (label_language) o.version_prefix = "language-";
    const std::size_t measured_files = corpus_files.size();
    corpus_files.insert(corpus_files.end(), extra_files.begin(), extra_files.end());
    // One corpus from every file, in the order given; the card's checksum covers them all.
    std::string all_bytes;
    server::intent_corpus corpus;
    std::set<std::string> seen;
    for (std::size_t fi = 0; fi < corpus_files.size(); ++fi) {
        const std::string& f = corpus_files[fi];
        auto bytes = server::read_text_file(f);
        if (!bytes) {
            std::fprintf(stderr, "triagectl: cannot read %s\n", f.c_str());
            return 2;
        }
        all_bytes += *bytes;
        auto part = server::parse_intent_corpus(*bytes, f);
        for (auto& e : part.examples) {
            // The same words in two files would sit on both sides of a cross-validation split.
            if (!seen.insert(e.lang + "\n" + dialog::model_input(e.text)).second) {
                corpus.warnings.push_back(f + ": skipped: same words as an example in an earlier file");
                continue;
            }
            e.train_only = fi >= measured_files;
            // The language model: the same corpus, labelled with the language each line is in.
            if (label_language) e.intent = e.lang;
            corpus.examples.push_back(std::move(e));
        }
        for (auto& e : part.errors) corpus.errors.push_back(std::move(e));
        for (auto& e : part.warnings) corpus.warnings.push_back(std::move(e));
    }
    const std::string* bytes = &all_bytes;
    for (const auto& e : corpus.errors) std::fprintf(stderr, "%s\n", e.c_str());
    if (!corpus.errors.empty()) return 2;
    if (!corpus.warnings.empty()) {
        std::fprintf(stderr, "triagectl: %zu lines skipped (duplicates after normalisation or no words), e.g. %s\n",
                     corpus.warnings.size(), corpus.warnings.front().c_str());
    }
    const auto started = std::chrono::steady_clock::now();
    auto r = server::train_intent_model(corpus, *bytes, o, out, version,
                                        [](const std::string& s) { std::fprintf(stderr, "==> %s\n", s.c_str()); });
    if (!r.report) {
        std::fprintf(stderr, "triagectl: %s\n", r.error.c_str());
        return 1;
    }
    const auto& rep = *r.report;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto admin = [](const server::intent_metrics& m) {
        std::string s;
        for (const auto& [lang, rt] : m.admin_by_language) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%s%s %.1f%% (%zu/%zu)", s.empty() ? "" : ", ", lang.c_str(),
                          rt.second ? 100.0 * double(rt.first) / double(rt.second) : 0.0, rt.first, rt.second);
            s += buf;
        }
        return s;
    };
    std::printf("model %s: %s (%zu bytes, sha256 %s)\n", rep.version.c_str(), rep.model_path.c_str(), rep.model_bytes,
                rep.model_sha256.c_str());
    std::printf("trained on %zu examples in %.1f s; card: %s\n",
                rep.trained_on, seconds, server::card_path(rep.model_path, ".json/.md").c_str());
    std::printf("%d-fold cross-validation: accuracy %.1f%%; admin intents: %s\n", o.folds,
                100.0 * double(rep.cross_validation.right) / double(std::max<std::size_t>(1, rep.cross_validation.total)),
                admin(rep.cross_validation).c_str());
    if (rep.holdout) {
        std::printf("held out (%d%%, never trained on): accuracy %.1f%%; admin intents: %s\n", o.holdout_percent,
                    100.0 * double(rep.holdout->right) / double(std::max<std::size_t>(1, rep.holdout->total)),
                    admin(*rep.holdout).c_str());
    }
    return 0;
}

// `triagectl conversations test`: scripted patients against the flow (server/conversation_drill.hpp).
int conversations_test(const std::vector<std::string>& args) {
    const server::config defaults;
    std::vector<std::string> files;
    std::string flow_file = defaults.flow_file;
    std::string outcomes_file = "tests/corpus/conversations/outcomes.json";
    double min_completion = 95;
    int max_dead_ends = 0;
    int show = 5;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        const bool has_value = i + 1 < args.size();
        if (a == "--flow" && has_value) flow_file = args[++i];
        else if (a == "--outcomes" && has_value) outcomes_file = args[++i];
        else if (a == "--min-completion" && has_value) min_completion = std::strtod(args[++i].c_str(), nullptr);
        else if (a == "--show" && has_value) show = std::atoi(args[++i].c_str());
        else if (a == "--max-dead-ends" && has_value) max_dead_ends = std::atoi(args[++i].c_str());
        else if (!a.starts_with("--")) files.push_back(a);
        else {
            std::fprintf(stderr, "triagectl: conversations test: bad option %s\n", a.c_str());
            return 2;
        }
    }
    if (files.empty()) files.push_back("tests/corpus/conversations/conversations.jsonl");
    auto flow_text = server::read_text_file(flow_file);
    if (!flow_text) { std::fprintf(stderr, "triagectl: cannot read %s\n", flow_file.c_str()); return 2; }
    auto flow = dialog::load_flow(*flow_text, flow_file);
    for (const auto& d : flow.diagnostics) std::fprintf(stderr, "%s\n", rules::to_string(d).c_str());
    if (!flow.loaded) return 2;
    auto outcomes_text = server::read_text_file(outcomes_file);
    if (!outcomes_text) { std::fprintf(stderr, "triagectl: cannot read %s\n", outcomes_file.c_str()); return 2; }
    auto outcomes = server::parse_outcome_map(*outcomes_text);
    if (!outcomes.error.empty()) { std::fprintf(stderr, "triagectl: %s: %s\n", outcomes_file.c_str(), outcomes.error.c_str()); return 2; }
    auto engine = server::load_rule_engine(defaults.rule_packs);
    if (!engine) return 2;
    auto urgency = server::load_urgency_model(defaults.urgency_model);
    auto intents = server::load_intents(defaults.intent_model, defaults.intents_file);
    auto language = server::load_language_model(defaults.language_model);
    for (const std::string* e : {&urgency.error, &intents.error, &language.error})
        if (!e->empty()) { std::fprintf(stderr, "triagectl: %s\n", e->c_str()); return 2; }
    std::vector<server::scripted_patient> patients;
    for (const auto& f : files) {
        auto bytes = server::read_text_file(f);
        if (!bytes) { std::fprintf(stderr, "triagectl: cannot read %s\n", f.c_str()); return 2; }
        auto c = server::parse_conversation_corpus(*bytes, f);
        for (const auto& e : c.errors) std::fprintf(stderr, "%s\n", e.c_str());
        if (!c.errors.empty()) return 2;
        for (auto& p : c.patients) {
            if (!outcomes.states.count(p.outcome)) {
                std::fprintf(stderr, "%s: %s: outcome '%s' is not in %s\n", f.c_str(), p.id.c_str(), p.outcome.c_str(), outcomes_file.c_str());
                return 2;
            }
            patients.push_back(std::move(p));
        }
    }
    server::drill_services services{*flow.loaded, *engine, urgency.model.get(), *intents.classifier,
                                    language.classifier.get(), outcomes};
    struct tally { int n = 0, done = 0, dead = 0, person = 0, turns = 0, misunderstood = 0, switched = 0; };
    std::map<std::string, tally> by_lang, by_task;
    std::vector<server::conversation_result> failures;
    for (const auto& p : patients) {
        auto r = server::play(services, p);
        for (tally* t : {&by_lang[r.lang], &by_task[r.task]}) {
            ++t->n;
            t->done += r.completed;
            t->dead += r.dead_end;
            t->person += !r.completed && r.person;
            t->turns += r.completed ? r.patient_turns : 0;
            t->misunderstood += r.misunderstood;
            t->switched += r.final_language == r.lang;
        }
        if (!r.completed) failures.push_back(std::move(r));
    }
    auto row = [](const std::string& name, const tally& t) {
        std::printf("  %-20s %5d   %6.1f%% (%d)   %5d   %5d   %10.1f   %14.2f   %6.1f%%\n", name.c_str(), t.n,
                    t.n ? 100.0 * t.done / t.n : 0.0, t.done, t.dead, t.person, t.done ? double(t.turns) / t.done : 0.0,
                    t.n ? double(t.misunderstood) / t.n : 0.0, t.n ? 100.0 * t.switched / t.n : 0.0);
    };
    std::printf("flow %s, %zu scripted conversations, every one started in English\n\n", flow_file.c_str(), patients.size());
    const char* header = "  %-20s %5s   %-13s   %5s   %5s   %10s   %14s   %7s\n";
    std::printf(header, "language", "cases", "completed", "dead", "person", "turns/task", "misunderstood", "in lang");
    for (const auto& [k, t] : by_lang) row(k, t);
    std::printf("\n");
    std::printf(header, "task", "cases", "completed", "dead", "person", "turns/task", "misunderstood", "in lang");
    for (const auto& [k, t] : by_task) row(k, t);
    std::printf("\n(dead: ended or stalled with neither the outcome nor a person; person: not the outcome, but a person was offered or took over;\n"
                " turns/task: patient messages until the outcome; misunderstood: answers asked again, per conversation;\n"
                " in lang: the conversation ended in the patient's language)\n");
    int shown = 0;
    for (const auto& r : failures) {
        if (shown++ >= show) break;
        std::printf("\n%s [%s %s] wanted %s, reached %s%s\n", r.id.c_str(), r.lang.c_str(), r.task.c_str(), r.outcome.c_str(),
                    r.reached.empty() ? "nothing" : r.reached.c_str(), r.dead_end ? " (DEAD END)" : "");
        for (const auto& line : r.transcript) std::printf("    %s\n", line.substr(0, 160).c_str());
    }
    bool ok = true;
    int dead = 0;
    for (const auto& [lang, t] : by_lang) {
        dead += t.dead;
        if (t.n && 100.0 * t.done / t.n < min_completion) ok = false;
    }
    if (dead > max_dead_ends) ok = false;
    std::printf("\n%s (floors: %.0f%% completed in each language, at most %d dead ends)\n",
                ok ? "PASS" : "FAIL", min_completion, max_dead_ends);
    return ok ? 0 : 1;
}

int classify(const std::vector<std::string>& rule_files, const std::string& urgency_file, const std::string& model_file,
             const std::string& intents_file, const std::string& language_file, bool explain) {
    auto engine = server::load_rule_engine(rule_files);
    if (!engine) return 2;
    auto urgency = server::load_urgency_model(urgency_file);
    if (!urgency.error.empty()) {
        std::fprintf(stderr, "triagectl: %s\n", urgency.error.c_str());
        return 2;
    }
    auto loaded = server::load_intents(model_file, intents_file);
    if (!loaded.classifier) {
        std::fprintf(stderr, "triagectl: %s\n", loaded.error.c_str());
        return 2;
    }
    auto language = server::load_language_model(language_file);
    if (!language.error.empty()) {
        std::fprintf(stderr, "triagectl: %s\n", language.error.c_str());
        return 2;
    }
    const auto& intents = loaded.classifier;

    std::string line;
    int bad = 0;
    std::size_t line_no = 0;
    while (std::getline(std::cin, line)) {
        ++line_no;
        if (line.empty()) continue;
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        const boost::json::object* o = ec ? nullptr : v.if_object();
        const boost::json::value* text = o ? o->if_contains("text") : nullptr;
        std::string id;
        if (o) {
            if (auto* i = o->if_contains("id")) id = i->is_string() ? std::string(i->as_string()) : boost::json::serialize(*i);
        }
        const boost::json::value* lang = o ? o->if_contains("lang") : nullptr;
        const bool lang_ok = !lang || lang->is_null() || (lang->is_string() && (lang->as_string() == "en" || lang->as_string() == "es"));
        if (!text || !text->is_string() || !lang_ok) {
            // One output line per input line, so a bad line never shifts the answers after it.
            const char* why = !o ? "not a JSON object" : (!text || !text->is_string()) ? "\"text\" must be a string"
                                                                                       : "\"lang\" must be \"en\" or \"es\"";
            std::fprintf(stderr, "triagectl: line %zu: %s\n", line_no, why);
            std::string out = boost::json::serialize(boost::json::object{{"id", id}, {"error", why}});
            std::fwrite(out.data(), 1, out.size(), stdout);
            std::fputc('\n', stdout);
            ++bad;
            continue;
        }
        auto a = server::assess_message(*engine, urgency.model.get(), *intents, text->as_string(), language.classifier.get());
        std::string out = server::classify_json_line(id, a, explain);
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fputc('\n', stdout);
    }
    return bad ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string config_path;
    if (args.size() >= 2 && (args[0] == "--config" || args[0] == "-c")) {
        config_path = args[1];
        args.erase(args.begin(), args.begin() + 2);
    }
    if (args.empty() || args[0] == "--help" || args[0] == "-h") return usage();
    const std::string cmd = args[0];

    if (cmd == "gen-master-key") {
        if (!integrations::phi::keyring::init()) return 1;
        std::printf("%s\n", integrations::phi::generate_master_key_hex().c_str());
        return 0;
    }
    if (cmd == "check-flow" && args.size() == 2) {
        auto text = server::read_text_file(args[1]);
        if (!text) { std::fprintf(stderr, "triagectl: cannot read %s\n", args[1].c_str()); return 2; }
        auto r = dialog::load_flow(*text, args[1]);
        for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", rules::to_string(d).c_str());
        if (!r.loaded) return 1;
        std::printf("%s: flow %s version %s, %zu states: ok\n", args[1].c_str(), r.loaded->id.c_str(),
                    r.loaded->version.c_str(), r.loaded->states.size());
        return 0;
    }
    if (cmd == "check-rules" && args.size() == 2) {
        auto text = server::read_text_file(args[1]);
        if (!text) { std::fprintf(stderr, "triagectl: cannot read %s\n", args[1].c_str()); return 2; }
        auto r = rules::load_rule_pack(*text, args[1]);
        for (const auto& d : r.diagnostics) std::fprintf(stderr, "%s\n", rules::to_string(d).c_str());
        if (!r.pack) return 1;
        std::printf("%s: pack %s version %s, %zu rules: ok\n", args[1].c_str(), r.pack->name.c_str(),
                    r.pack->version.c_str(), r.pack->rules.size());
        return 0;
    }
    if (cmd == "rules" && args.size() >= 2 && args[1] == "test") {
        return rules_test(std::vector<std::string>(args.begin() + 2, args.end()));
    }
    if (cmd == "rules" && args.size() >= 2 && args[1] == "list") {
        return rules_list(std::vector<std::string>(args.begin() + 2, args.end()));
    }
    if (cmd == "rules" && args.size() >= 3 && args[1] == "model" && args[2] == "train") {
        return server::urgency_model_train_command(std::vector<std::string>(args.begin() + 3, args.end()));
    }
    if (cmd == "model" && args.size() >= 2 && args[1] == "train") {
        return model_train(std::vector<std::string>(args.begin() + 2, args.end()));
    }
    if (cmd == "conversations" && args.size() >= 2 && args[1] == "test") {
        return conversations_test(std::vector<std::string>(args.begin() + 2, args.end()));
    }
    if (cmd == "classify") {
        std::vector<std::string> rule_files;
        // The server's defaults, so that classify answers as a default server would.
        const server::config defaults;
        std::string intents_file = defaults.intents_file;
        std::string model_file = defaults.intent_model;
        std::string urgency_file = defaults.urgency_model;
        // Off by default: the documented output has exactly the interface's fields (docs/rules.md).
        std::string language_file;
        bool explain = false;
        for (std::size_t i = 1; i < args.size(); ++i) {
            if (args[i] == "--explain") explain = true;
            else if (args[i] == "--urgency-model" && i + 1 < args.size()) urgency_file = args[++i];
            else if (args[i] == "--rules-only") urgency_file.clear();
            else if (args[i] == "--language-model" && i + 1 < args.size()) language_file = args[++i];
            else if (args[i] == "--model" && i + 1 < args.size()) model_file = args[++i];
            else if (args[i] == "--intents" && i + 1 < args.size()) { intents_file = args[++i]; model_file.clear(); }
            else if (args[i] == "--rules" && i + 1 < args.size()) rule_files.push_back(args[++i]);
            else if (args[i] == "--intents" && i + 1 < args.size()) intents_file = args[++i];
            else return usage();
        }
        if (rule_files.empty()) rule_files.push_back("triage-rules/packs/core.yaml");
        return classify(rule_files, urgency_file, model_file, intents_file, language_file, explain);
    }

    auto cfg = load_cfg(config_path);
    if (!cfg) return 2;
    if (cmd == "migrate") {
        return with_db(*cfg, [](pg::connection& conn) -> asio::awaitable<int> {
            auto r = co_await pg::async_migrate(conn);
            if (!r) {
                std::fprintf(stderr, "triagectl: migration failed (%s)\n", r.error().message().c_str());
                co_return 1;
            }
            auto v = co_await pg::async_schema_version(conn);
            std::printf("migrations: %d applied, schema at version %d\n", *r, v ? *v : -1);
            co_return 0;
        });
    }
    if (cmd == "seed-demo" || (cmd == "clinic" && args.size() >= 4 && args[1] == "add")) {
        bool demo = cmd == "seed-demo";
        std::string slug = demo ? "demo" : args[2];
        std::string name = demo ? "Demo Family Clinic" : args[3];
        std::vector<std::string> origins;
        std::string time_zone = "America/New_York";
        for (std::size_t i = demo ? 1 : 4; i < args.size(); ++i) {
            if (args[i] == "--origin" && i + 1 < args.size()) origins.push_back(args[++i]);
            else if (args[i] == "--time-zone" && i + 1 < args.size()) time_zone = args[++i];
            else return usage();
        }
        for (const auto& o : origins) {
            if (!server::valid_origin(o)) {
                std::fprintf(stderr,
                             "triagectl: --origin: '%s' is not an origin (scheme, host and optional port, e.g. "
                             "https://portal.example.org)\n",
                             o.c_str());
                return 2;
            }
        }
        if (!dialog::valid_time_zone(time_zone)) {
            std::fprintf(stderr, "triagectl: --time-zone: '%s' is not an IANA time zone (e.g. America/Chicago)\n",
                         time_zone.c_str());
            return 2;
        }
        return upsert_clinic(*cfg, slug, name, origins, time_zone);
    }
    if (int rc = server::desk_command(*cfg, args); rc >= 0) return rc;
    if (int rc = server::feedback_command(*cfg, args); rc >= 0) return rc;
    return usage();
}
