#include "server/conversation_drill.hpp"

#include "dialog/engine.hpp"
#include "server/assess.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>

namespace triage::server {

namespace json = boost::json;

namespace {

std::string string_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

conversation_corpus parse_conversation_corpus(std::string_view jsonl, std::string_view file_name) {
    conversation_corpus out;
    std::size_t line_no = 0;
    std::size_t start = 0;
    while (start < jsonl.size()) {
        std::size_t end = jsonl.find('\n', start);
        if (end == std::string_view::npos) end = jsonl.size();
        std::string_view line = jsonl.substr(start, end - start);
        start = end + 1;
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        const std::string where = std::string(file_name) + ":" + std::to_string(line_no) + ": ";
        json::error_code ec;
        json::value v = json::parse(line, ec);
        const json::object* o = ec ? nullptr : v.if_object();
        if (!o) {
            out.errors.push_back(where + "not a JSON object");
            continue;
        }
        scripted_patient p;
        p.id = string_at(*o, "id");
        p.lang = string_at(*o, "lang");
        p.task = string_at(*o, "task");
        p.opening = string_at(*o, "opening");
        p.outcome = string_at(*o, "outcome");
        if (p.id.empty() || p.opening.empty() || p.outcome.empty() || (p.lang != "en" && p.lang != "es")) {
            out.errors.push_back(where + "needs id, lang (en or es), opening and outcome");
            continue;
        }
        for (const char* group : {"profile", "answers"}) {
            const json::value* g = o->if_contains(group);
            if (!g || !g->is_object()) {
                out.errors.push_back(where + "needs an object `" + group + "`");
                continue;
            }
            auto& to = std::string_view(group) == "profile" ? p.profile : p.answers;
            for (const auto& kv : g->get_object())
                if (kv.value().is_string()) to[std::string(kv.key())] = std::string(kv.value().get_string());
        }
        if (const json::value* n = o->if_contains("noise"); n && n->is_array()) {
            for (const auto& item : n->get_array()) {
                const json::object* no = item.if_object();
                if (!no || !no->if_contains("after_turn") || !no->at("after_turn").is_int64()) continue;
                p.noise.push_back({static_cast<int>(no->at("after_turn").get_int64()), string_at(*no, "text"),
                                   string_at(*no, "kind")});
            }
        }
        out.patients.push_back(std::move(p));
    }
    return out;
}

outcome_map parse_outcome_map(std::string_view json_text) {
    outcome_map out;
    json::error_code ec;
    json::value v = json::parse(json_text, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    if (!o) {
        out.error = "the outcome map is not a JSON object";
        return out;
    }
    for (const auto& kv : *o) {
        if (!kv.value().is_array()) {
            out.error = "outcome '" + std::string(kv.key()) + "': a list of state ids";
            return out;
        }
        for (const auto& s : kv.value().get_array())
            if (s.is_string()) out.states[std::string(kv.key())].emplace_back(s.get_string());
    }
    return out;
}

namespace {

// The EHR the drill stands in for: every patient is found, every day has free times.
dialog::call_finished carry_out(const std::string& call) {
    dialog::call_finished r;
    r.call = call;
    if (call == "find_patient") {
        r.outcome = "matched";
        r.values["identified"] = "yes";
    } else if (call == "find_slots") {
        r.outcome = "found";
        r.values = {{"slots_day", "on Tue, Dec 8"}, {"slots_same_day", "yes"}};
        r.offers = std::vector<dialog::offer>{{"Tue, Dec 8, 9:00 AM", "Tue, Dec 8, 9:00 AM", "{}"},
                                              {"Tue, Dec 8, 11:20 AM", "Tue, Dec 8, 11:20 AM", "{}"},
                                              {"Tue, Dec 8, 3:40 PM", "Tue, Dec 8, 3:40 PM", "{}"}};
    } else if (call == "hold_slot") {
        r.outcome = "held";
        r.values["chosen_when"] = "Tuesday, December 8 at 9:00 AM";
    } else if (call == "release_hold") {
        r.outcome = "done";
    } else if (call == "book_slot") {
        r.outcome = "booked";
        r.values = {{"appointment_when", "Tuesday, December 8 at 9:00 AM"},
                    {"appointment_place", "Main Street Clinic"},
                    {"appointment_ref", "A-1"}};
    } else if (call == "find_appointments") {
        r.outcome = "found";
        r.offers = std::vector<dialog::offer>{{"appt-1", "Thu, Dec 10, 2:20 PM", "{}"}};
    } else if (call == "cancel_appointment") {
        r.outcome = "cancelled";
        r.values["cancelled_when"] = "Thu, Dec 10, 2:20 PM";
    } else {
        r.outcome = "unavailable";
    }
    return r;
}

// The menu option a scripted patient taps for what it came to do.
std::string menu_choice(const scripted_patient& p) {
    static const std::map<std::string, std::string> by_task = {
        {"book", "book"},       {"reschedule", "change"}, {"cancel", "change"}, {"refill", "refill"},
        {"results", "results"}, {"billing", "billing"},   {"hours", "hours"},   {"person", "person"}};
    if (auto it = by_task.find(p.task); it != by_task.end()) return it->second;
    static const std::map<std::string, std::string> by_outcome = {
        {"booked", "book"}, {"rescheduled", "change"}, {"cancelled", "change"}, {"refill_requested", "refill"},
        {"results_handed_to_staff", "results"}, {"handed_to_person", "person"}};
    if (auto it = by_outcome.find(p.outcome); it != by_outcome.end()) return it->second;
    if (p.outcome == "info_given") {
        std::string all = p.opening;
        for (const auto& n : p.noise) all += " " + n.text;
        for (const char* w : {"bill", "factura", "cobr", "pago", "pay", "charge", "cuenta", "insurance", "seguro"})
            if (all.find(w) != std::string::npos) return "billing";
        return "hours";
    }
    return "symptoms";
}

std::string answer_word(const scripted_patient& p, const char* which, const char* fallback) {
    auto it = p.answers.find(which);
    return it != p.answers.end() && !it->second.empty() ? it->second : fallback;
}

std::string profile(const scripted_patient& p, const char* field) {
    auto it = p.profile.find(field);
    return it != p.profile.end() ? it->second : std::string();
}

// What the scripted patient says to the question the conversation waits at.
std::string answer(const scripted_patient& p, const dialog::flow& f, const dialog::conversation_state& st,
                   const std::vector<dialog::quick_reply>& shown) {
    const dialog::flow_state* s = f.find(st.current_state);
    const std::string yes = answer_word(p, "yes", p.lang == "es" ? "si" : "yes");
    const std::string no = answer_word(p, "no", "no");
    if (!s) return yes;
    using dialog::input_kind;
    switch (s->input) {
        case input_kind::yes_no: {
            // "End the chat now?" after a thank-you: the scripted patient has not finished.
            const bool offers_back = std::any_of(s->next.begin(), s->next.end(), [](const dialog::transition& t) { return t.target == "back"; });
            // "Anything else?": the patient has not got what it came for yet (the drill stops at the outcome).
            if (s->slot == "anything_else") return yes;
            return offers_back ? no : yes;
        }
        case input_kind::follow_up:
            // Red-flag questions: an urgent or emergency complaint has the signs asked about.
            return p.task == "symptoms_urgent" || p.task == "symptoms_emergency" ? yes : no;
        case input_kind::date:
            return s->slot == "birth_date" ? profile(p, "birth_date") : profile(p, "preferred_day");
        case input_kind::phone:
            return profile(p, "phone");
        case input_kind::free_text:
            if (s->slot == "patient_name") return profile(p, "name");
            if (s->slot == "medication" && !profile(p, "medication").empty()) return profile(p, "medication");
            return profile(p, "reason");
        case input_kind::choice: {
            if (s->slot == "reason") return menu_choice(p);
            if (s->id == f.misunderstood_state) return p.outcome == "handed_to_person" ? "person" : "again";
            if (s->slot == "change_action")
                return p.task == "reschedule" || p.outcome == "rescheduled" ? "reschedule" : "cancel";
            std::vector<const dialog::quick_reply*> options;
            for (const auto& q : shown)
                if (q.value != "other_day" && q.value != "not_listed" && q.value != "person") options.push_back(&q);
            if (options.empty()) return yes;
            const std::string how = answer_word(p, "choice", "first");
            if (how == "by_words") return options.front()->label;
            if (how == "second" && options.size() > 1) return options[1]->value;
            if (how == "last") return options.back()->value;
            return options.front()->value;
        }
        default:
            return yes;
    }
}

}  // namespace

conversation_result play(const drill_services& s, const scripted_patient& p) {
    conversation_result r;
    r.id = p.id;
    r.lang = p.lang;
    r.task = p.task;
    r.outcome = p.outcome;
    // A fixed clock (Monday 2026-12-07, 15:00 UTC) so that "tomorrow" always means the same day.
    const auto now = std::chrono::sys_days{std::chrono::year{2026} / 12 / 7} + std::chrono::hours{15};
    const auto wanted = s.outcomes.states.find(p.outcome);
    auto reached_outcome = [&](const std::string& state) -> std::string {
        for (const auto& [outcome, states] : s.outcomes.states)
            if (std::find(states.begin(), states.end(), state) != states.end()) return outcome;
        return {};
    };
    std::vector<dialog::quick_reply> shown;
    auto take = [&](const dialog::step& st) {
        if (std::any_of(st.replies.begin(), st.replies.end(), [](const dialog::bot_reply& b) { return !b.quick_replies.empty(); }))
            shown.clear();
        for (const auto& reply : st.replies) {
            r.transcript.push_back("< [" + reply.state + "] " + reply.text);
            if (!reply.quick_replies.empty()) shown = reply.quick_replies;
            const std::string got = reached_outcome(reply.state);
            if (!got.empty() && r.reached.empty()) r.reached = got;
            if (wanted != s.outcomes.states.end() &&
                std::find(wanted->second.begin(), wanted->second.end(), reply.state) != wanted->second.end())
                r.completed = true;
            if (reply.state == s.flow.misunderstood_state || reply.state == "handoff") r.person = true;
        }
        // Staff are brought in: handed over, or alerted by an escalation (a red flag, a call-back).
        for (const auto& a : st.actions)
            if (a.kind == dialog::action_kind::handoff || a.kind == dialog::action_kind::escalate) r.person = true;
    };
    dialog::step step = dialog::advance(s.flow, {}, dialog::conversation_started{"en"}, now);
    take(step);
    std::vector<bool> noise_used(p.noise.size(), false);
    std::string last_state;
    int same_state = 0;
    constexpr int max_messages = 30;
    while (!r.completed && !step.state.ended && r.patient_turns < max_messages) {
        while (!step.call.empty()) {
            step = dialog::advance(s.flow, step.state, carry_out(step.call), now);
            take(step);
        }
        if (r.completed || step.state.ended) break;
        std::string text;
        if (r.patient_turns == 0) {
            text = p.opening;
        } else {
            // A typo'd or corrected answer is an answer: it waits for a question typed in words.
            const dialog::flow_state* waiting = s.flow.find(step.state.current_state);
            const bool typed_question = waiting && (waiting->input == dialog::input_kind::free_text ||
                                                    waiting->input == dialog::input_kind::date);
            for (std::size_t i = 0; i < p.noise.size() && text.empty(); ++i)
                if (!noise_used[i] && p.noise[i].after_turn <= r.patient_turns && !p.noise[i].text.empty() &&
                    (typed_question || (p.noise[i].kind != "typo" && p.noise[i].kind != "correction"))) {
                    noise_used[i] = true;
                    text = p.noise[i].text;
                }
            if (text.empty()) text = answer(p, s.flow, step.state, shown);
        }
        if (text.empty()) text = "?";
        // Asked the same question five times in a row: the conversation is going nowhere.
        same_state = step.state.current_state == last_state ? same_state + 1 : 0;
        last_state = step.state.current_state;
        if (same_state >= 5) break;
        r.transcript.push_back("> " + text);
        auto a = assess_message(s.rules, s.urgency, s.intents, text, s.language);
        const int retries_before = step.state.retries;
        step = dialog::advance(s.flow, step.state,
                               dialog::patient_said{text, a.triage, a.intent, a.language, a.language_confidence}, now);
        ++r.patient_turns;
        if (step.state.retries > retries_before) ++r.misunderstood;
        take(step);
    }
    r.final_language = step.state.lang;
    r.dead_end = !r.completed && !r.person;
    return r;
}

}  // namespace triage::server
