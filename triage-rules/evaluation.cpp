#include "triage-rules/evaluation.hpp"

#include "triage-rules/engine.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

namespace json = boost::json;

namespace triage::rules {

namespace {

constexpr std::array<std::string_view, 7> kinds{"emergency", "hard_negative", "urgent", "routine",
                                                "self_care", "admin", "hostile"};

std::string string_field(const json::object& o, std::string_view key, std::string& error, bool required) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        if (required) error = "missing \"" + std::string(key) + "\"";
        return {};
    }
    if (!v->is_string()) {
        error = "\"" + std::string(key) + "\" must be a string";
        return {};
    }
    return std::string(v->as_string());
}

std::string percent(const evaluation::ratio& r) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%5.1f%% (%zu/%zu)", r.percent(), r.hits, r.total);
    return buf;
}

std::string excerpt(std::string_view text) {
    constexpr std::size_t max = 140;
    std::string out;
    for (char c : text) {
        if (out.size() >= max) {
            // Do not cut a UTF-8 sequence in half.
            while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
            if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
            return out + "...";
        }
        out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
    }
    return out;
}

void list(std::string& out, std::string_view title, const std::vector<evaluation::outcome>& items) {
    if (items.empty()) return;
    out += "\n" + std::string(title) + " (" + std::to_string(items.size()) + "):\n";
    for (const auto& o : items) {
        std::string fired;
        for (const auto& r : o.rules) fired += (fired.empty() ? "" : ",") + r;
        out += "  " + o.c->id + " [" + o.c->lang + (o.c->category.empty() ? "" : " " + o.c->category) + "] label " +
               std::string(to_string(o.c->label)) + ", assessed " + std::string(to_string(o.assessed)) +
               (fired.empty() ? "" : " by " + fired) +
               (o.intent.empty() || o.c->intent.empty() ? "" : ", intent " + o.intent + " (label " + o.c->intent + ")") + ": " +
               excerpt(o.c->text) + "\n";
    }
}

}  // namespace

case_file parse_cases(std::string_view jsonl, std::string_view file_name) {
    case_file out;
    std::set<std::string> ids;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= jsonl.size()) {
        std::size_t end = jsonl.find('\n', pos);
        if (end == std::string_view::npos) end = jsonl.size();
        std::string_view line = jsonl.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) {
            if (end == jsonl.size()) break;
            continue;
        }
        auto fail = [&](const std::string& msg) {
            out.errors.push_back(std::string(file_name) + ":" + std::to_string(line_no) + ": " + msg);
        };
        try {
            json::error_code ec;
            json::value v = json::parse(line, ec);
            if (ec || !v.is_object()) {
                fail("not a JSON object");
                continue;
            }
            const auto& o = v.as_object();
            std::string error;
            labelled_case c;
            c.id = string_field(o, "id", error, true);
            c.lang = string_field(o, "lang", error, true);
            c.text = string_field(o, "text", error, true);
            const std::string label = string_field(o, "urgency", error, true);
            c.category = string_field(o, "category", error, false);
            c.kind = string_field(o, "kind", error, false);
            c.age_group = string_field(o, "age_group", error, false);
            c.intent = string_field(o, "intent", error, false);
            if (const json::value* tags = o.if_contains("tags"); tags && !tags->is_null()) {
                if (!tags->is_array()) error = "\"tags\" must be a list of strings";
                for (const auto& t : tags->is_array() ? tags->as_array() : json::array{}) {
                    if (t.is_string()) c.tags.emplace_back(t.as_string());
                    else error = "\"tags\" must be a list of strings";
                }
            }
            if (!error.empty()) {
                fail(error);
                continue;
            }
            auto u = urgency_from_string(label);
            if (!u) {
                fail("unknown urgency '" + label + "' (expected none, self_care, routine, urgent or emergency)");
                continue;
            }
            c.label = *u;
            if (c.lang != "en" && c.lang != "es") {
                fail("unknown lang '" + c.lang + "' (expected en or es)");
                continue;
            }
            if (!c.kind.empty() && std::find(kinds.begin(), kinds.end(), c.kind) == kinds.end()) {
                fail("unknown kind '" + c.kind + "'");
                continue;
            }
            if (c.label == urgency::emergency && c.category.empty()) {
                fail("an emergency case needs a \"category\"");
                continue;
            }
            if (!ids.insert(c.id).second) {
                fail("duplicate id '" + c.id + "'");
                continue;
            }
            out.cases.push_back(std::move(c));
        } catch (const std::exception& e) {
            fail(std::string("cannot read case: ") + e.what());
        }
        if (end == jsonl.size()) break;
    }
    return out;
}

evaluation evaluate(const engine& e, const std::vector<labelled_case>& cases) {
    return evaluate(cases, [&](const labelled_case& c) { return case_verdict{e.assess(c.text), {}}; });
}

evaluation evaluate(const std::vector<labelled_case>& cases,
                    const std::function<case_verdict(const labelled_case&)>& judge) {
    evaluation ev;
    ev.cases = cases.size();
    for (const auto& c : cases) {
        const case_verdict v = judge(c);
        const assessment& a = v.triage;
        evaluation::outcome o{&c, a.level, a.escalate, {}, v.intent, a.model && a.model->raised};
        for (const auto& f : a.findings) o.rules.push_back(f.rule_id);
        if (o.model_raised) o.rules.push_back("model");
        const bool alarm = a.level == urgency::emergency || a.escalate;
        auto count = [&](evaluation::stratum& s) {
            s.cases++;
            s.exact.total++;
            s.safe.total++;
            if (a.level == c.label) s.exact.hits++;
            if (a.level >= c.label) s.safe.hits++;
            if (c.label == urgency::emergency) {
                s.emergency_recall.total++;
                if (a.level == urgency::emergency) s.emergency_recall.hits++;
            } else {
                s.false_alarms.total++;
                if (alarm) s.false_alarms.hits++;
            }
        };
        count(ev.strata["language"][c.lang]);
        count(ev.strata["age group"][c.age_group.empty() ? "unknown" : c.age_group]);
        count(ev.strata["kind"][c.kind.empty() ? "(none)" : c.kind]);
        if (c.label == urgency::emergency) count(ev.strata["category"][c.category]);
        for (const auto& t : c.tags) count(ev.strata["tag"][t]);
        if (c.label > urgency::none) {
            ev.clinical_read_as_none.total++;
            if (a.level == urgency::none) ev.clinical_read_as_none.hits++;
        }
        if (c.kind == "admin" && !c.intent.empty() && !v.intent.empty()) {
            ev.admin_intent.total++;
            if (v.intent == c.intent) ev.admin_intent.hits++;
            else ev.wrong_admin_intents.push_back(o);
        }
        if (c.kind == "hard_negative") {
            ev.hard_negative_false_alarms.total++;
            if (alarm) ev.hard_negative_false_alarms.hits++;
        }
        ev.confusion[static_cast<std::size_t>(c.label)][static_cast<std::size_t>(a.level)]++;
        ev.exact.total++;
        ev.safe.total++;
        if (a.level == c.label) ev.exact.hits++;
        if (a.level >= c.label) ev.safe.hits++;
        if (c.label == urgency::emergency) {
            const bool caught = a.level == urgency::emergency;
            for (auto* r : {&ev.emergency_recall, &ev.recall_by_language[c.lang], &ev.recall_by_category[c.category]}) {
                r->total++;
                if (caught) r->hits++;
            }
            if (!caught) ev.missed_emergencies.push_back(o);
            continue;
        }
        const bool over = a.level > c.label;
        ev.over_triage.total++;
        ev.false_alarms.total++;
        if (over) ev.over_triage.hits++;
        if (a.level == urgency::emergency || a.escalate) ev.false_alarms.hits++;
        if (c.kind == "hard_negative") {
            ev.hard_negative_over_triage.total++;
            if (over) {
                ev.hard_negative_over_triage.hits++;
                ev.over_triaged_hard_negatives.push_back(o);
            }
        }
        if (a.level < c.label) ev.under_triaged.push_back(o);
    }
    return ev;
}

std::string format_report(const evaluation& ev, std::string_view pack_version) {
    std::string out;
    out += "rule packs: " + std::string(pack_version) + "\n";
    out += "cases: " + std::to_string(ev.cases) + "\n\n";
    out += "emergency recall:        " + percent(ev.emergency_recall) + "\n";
    for (const auto& [lang, r] : ev.recall_by_language) out += "  " + lang + std::string(23 - lang.size(), ' ') + percent(r) + "\n";
    out += "emergency recall by category:\n";
    for (const auto& [cat, r] : ev.recall_by_category) {
        out += "  " + cat + std::string(cat.size() < 23 ? 23 - cat.size() : 1, ' ') + percent(r) + "\n";
    }
    out += "over-triage (non-emergencies assessed above their label): " + percent(ev.over_triage) + "\n";
    out += "  on hard negatives:     " + percent(ev.hard_negative_over_triage) + "\n";
    out += "false alarms (non-emergencies assessed emergency or escalated): " + percent(ev.false_alarms) + "\n";
    out += "  hard negatives escalated: " + percent(ev.hard_negative_false_alarms) + "\n";
    out += "exact urgency accuracy:  " + percent(ev.exact) + "\n";
    out += "safe (at least as urgent as the label): " + percent(ev.safe) + "\n";
    if (ev.clinical_read_as_none.total) out += "clinical cases assessed none: " + percent(ev.clinical_read_as_none) + "\n";
    if (ev.admin_intent.total) out += "intent right on admin cases: " + percent(ev.admin_intent) + "\n";

    // Stratified tables: the same figures per population and per kind of message.
    for (const auto& [by, values] : ev.strata) {
        char head[160];
        std::snprintf(head, sizeof head, "\nby %s:\n  %-22s %6s  %-22s %-22s %-22s %-22s\n", by.c_str(), "", "cases",
                      "emergency recall", "exact urgency", "safe", "false alarms");
        out += head;
        for (const auto& [value, st] : values) {
            auto cell = [](const evaluation::ratio& r) { return r.total ? percent(r) : std::string("-"); };
            char row[256];
            std::snprintf(row, sizeof row, "  %-22s %6zu  %-22s %-22s %-22s %-22s\n", value.c_str(), st.cases,
                          cell(st.emergency_recall).c_str(), cell(st.exact).c_str(), cell(st.safe).c_str(),
                          cell(st.false_alarms).c_str());
            out += row;
        }
    }

    out += "\nconfusion matrix (rows: label, columns: assessed)\n";
    constexpr std::array<urgency, 5> order{urgency::emergency, urgency::urgent, urgency::routine, urgency::self_care,
                                           urgency::none};
    char buf[128];
    std::snprintf(buf, sizeof buf, "%-10s", "");
    out += buf;
    for (auto u : order) {
        std::snprintf(buf, sizeof buf, "%10s", std::string(to_string(u)).c_str());
        out += buf;
    }
    out += "\n";
    for (auto row : order) {
        std::snprintf(buf, sizeof buf, "%-10s", std::string(to_string(row)).c_str());
        out += buf;
        for (auto col : order) {
            std::snprintf(buf, sizeof buf, "%10zu", ev.confusion[static_cast<std::size_t>(row)][static_cast<std::size_t>(col)]);
            out += buf;
        }
        out += "\n";
    }
    list(out, "MISSED EMERGENCIES", ev.missed_emergencies);
    list(out, "over-triaged hard negatives", ev.over_triaged_hard_negatives);
    list(out, "under-triaged (below label, not emergencies)", ev.under_triaged);
    list(out, "admin cases with the wrong intent", ev.wrong_admin_intents);
    return out;
}

}  // namespace triage::rules
