// `triagectl feedback export SLUG [--since YYYY-MM-DD] [--out FILE]` (docs/observability.md,
// "Exporting the verdicts"): the latest verdict on each escalation, with the patient message that
// raised it opened here and de-identified before it is written, one case per line in the format
// `triagectl rules test` and the trainers read. Nothing identifying leaves: the case id is a keyed
// hash of the verdict's id, and the text is scrubbed (integrations/phi/deidentify.hpp).
#include "server/triagectl_feedback.hpp"

#include "integrations/event_sink.hpp"
#include "integrations/phi/deidentify.hpp"
#include "integrations/phi/keyring.hpp"
#include "integrations/postgres/connection.hpp"
#include "integrations/postgres/conversation_store.hpp"
#include "integrations/postgres/staff_store.hpp"
#include "server/app.hpp"
#include "server/services.hpp"
#include "server/triagectl_staff.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <sodium.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <regex>

namespace asio = boost::asio;
namespace json = boost::json;
namespace pg = triage::integrations::postgres;
namespace phi = triage::integrations::phi;

namespace triage::server {
namespace {

int feedback_usage() {
    std::fputs("usage:\n"
               "  triagectl feedback export SLUG [--since YYYY-MM-DD] [--out FILE]\n"
               "    the latest verdict on each escalation since the date (default: all), de-identified,\n"
               "    one case per line (JSON) on standard output or in FILE\n",
               stderr);
    return 2;
}

phi::common_words load_common_words(const std::vector<std::string>& files) {
    phi::common_words words;
    for (const auto& file : files) {
        std::ifstream in(file);
        if (!in) {
            std::fprintf(stderr, "triagectl: rule_dictionaries: cannot read %s; more words will read as names\n",
                         file.c_str());
            continue;
        }
        for (std::string line; std::getline(in, line);) phi::add_common_word(words, line);
    }
    return words;
}

// The first `n` hexadecimal digits of `bytes`.
std::string hex(std::string_view bytes, std::size_t n) {
    std::string out(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    return out.substr(0, n);
}

std::string today_utc() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

int feedback_export(const config& cfg, const std::vector<std::string>& args) {
    if (args.size() < 3) return feedback_usage();
    const std::string slug = args[2];
    std::string since = "1970-01-01";
    std::string out_file;
    for (std::size_t i = 3; i < args.size(); ++i) {
        if (args[i] == "--since" && i + 1 < args.size()) since = args[++i];
        else if (args[i] == "--out" && i + 1 < args.size()) out_file = args[++i];
        else return feedback_usage();
    }
    if (!std::regex_match(since, std::regex(R"(\d{4}-\d{2}-\d{2})"))) {
        std::fprintf(stderr, "triagectl: --since wants a date as YYYY-MM-DD, e.g. 2026-11-01\n");
        return 2;
    }
    if (!phi::keyring::init()) return 1;
    std::string err;
    auto master_hex = load_master_key_hex(cfg, err);
    if (!master_hex) {
        std::fprintf(stderr, "triagectl: %s\n", err.c_str());
        return 2;
    }
    auto master = phi::parse_master_key(*master_hex);
    if (!master) {
        std::fprintf(stderr, "triagectl: the master key must be 64 hexadecimal characters\n");
        return 2;
    }
    phi::keyring keys(*master);
    const auto words = load_common_words(cfg.rule_dictionaries);

    asio::io_context ctx;
    integrations::null_event_sink sink;
    pg::pool pool(ctx.get_executor(), tool_postgres_settings(cfg), sink, 1);
    pg::staff_store staff(pool);
    pg::conversation_store conversations(pool);
    std::vector<pg::feedback_export_row> found;
    std::string clinic_id;
    auto fut = asio::co_spawn(ctx, [&]() -> asio::awaitable<int> {
        auto id = co_await tool_clinic_id(pool, slug);
        if (!id) co_return 1;
        clinic_id = *id;
        auto stored = co_await conversations.async_phi_keys();
        if (!stored) {
            std::fprintf(stderr, "triagectl: could not read the PHI data keys\n");
            co_return 1;
        }
        for (const auto& k : *stored) {
            if (!keys.add_wrapped_data_key(k.id, k.wrapped)) {
                std::fprintf(stderr, "triagectl: a PHI data key does not open with this master key\n");
                co_return 1;
            }
        }
        auto rows = co_await staff.async_feedback_export(clinic_id, since, "triagectl:feedback-export");
        if (!rows) {
            std::fprintf(stderr, "triagectl: could not read the verdicts (%s)\n", rows.error().message().c_str());
            co_return 1;
        }
        found = std::move(*rows);
        co_return 0;
    }(), asio::use_future);
    ctx.run();
    if (int rc = fut.get(); rc != 0) return rc;

    std::ofstream file;
    if (!out_file.empty()) {
        file.open(out_file, std::ios::trunc);
        if (!file) {
            std::fprintf(stderr, "triagectl: --out: cannot write %s\n", out_file.c_str());
            return 1;
        }
    }
    std::ostream& out = out_file.empty() ? std::cout : file;
    const std::string exported = today_utc();
    std::size_t written = 0, unreadable = 0, under = 0, over = 0;
    for (const auto& row : found) {
        std::optional<std::string> text;
        if (row.seq > 0) {
            auto plain = keys.open(row.key_id, row.sealed_body,
                                   transcript_entry_aad(row.conversation_id, row.seq, clinic_id));
            boost::system::error_code ec;
            json::value v = plain ? json::parse(*plain, ec) : json::value();
            if (plain && !ec && v.is_object())
                if (auto* t = v.as_object().if_contains("text"); t && t->is_string()) text = std::string(t->as_string());
        }
        if (!text) {
            ++unreadable;
            continue;
        }
        json::object c{
            {"id", "fb-" + hex(keys.blind_index(row.feedback_id, "feedback.export"), 16)},
            {"text", phi::deidentify(*text, words)},
            {"lang", row.lang},
            {"urgency", row.correct_urgency},
            {"intent", row.correct_intent},
            {"category", "clinician_feedback"},
            {"provenance",
             json::object{{"source", "clinician_feedback"},
                          {"clinic", slug},
                          {"verdict", row.verdict},
                          {"product_urgency", row.product_urgency},
                          {"verdicts", row.verdicts},
                          {"day", row.day},
                          {"pack", row.pack},
                          {"intent_model", row.intent_model},
                          {"deidentified", std::string(phi::deidentify_version)},
                          {"exported", exported}}}};
        out << json::serialize(c) << '\n';
        ++written;
        under += row.verdict == "under_triaged";
        over += row.verdict == "over_triaged";
    }
    out.flush();
    std::fprintf(stderr,
                 "triagectl: exported %zu cases from clinic %s since %s (%zu under-triaged, %zu over-triaged), "
                 "de-identified with %s%s\n",
                 written, slug.c_str(), since.c_str(), under, over, std::string(phi::deidentify_version).c_str(),
                 unreadable ? "; some verdicts had no readable patient message and were left out" : "");
    return 0;
}

}  // namespace

int feedback_command(const config& cfg, const std::vector<std::string>& args) {
    if (args.empty() || args[0] != "feedback") return -1;
    if (args.size() >= 2 && args[1] == "export") return feedback_export(cfg, args);
    return feedback_usage();
}

}  // namespace triage::server
