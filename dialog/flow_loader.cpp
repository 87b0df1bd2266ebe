#include "dialog/flow_loader.hpp"

#include "dialog/flow_checks.hpp"
#include "dialog/text.hpp"
#include "dialog/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>

namespace triage::dialog {

namespace {

using detail::at;
using detail::at_value;
using detail::position;
using detail::valid_name;

constexpr std::string_view input_names[] = {"none", "free_text", "choice", "yes_no", "date", "phone", "follow_up"};
constexpr std::string_view action_names[] = {"escalate", "request_booking", "handoff", "close"};

struct placeholder_use { std::string name; position where; std::string context; };
struct slot_use { std::string name; position where; };

class parser : detail::yaml_reader {
public:
    using yaml_reader::yaml_reader;

    void parse(const YAML::Node& root);
    flow f_;
    detail::flow_positions positions_;

private:
    translations texts_of(const YAML::Node& k, const YAML::Node& v, const std::string& what);
    void parse_header(const YAML::Node& root);
    std::optional<condition> parse_condition(const YAML::Node& k, const YAML::Node& v, const std::string& context,
                                             std::vector<std::pair<std::string, position>>* answers);
    std::optional<transition> parse_transition(const YAML::Node& item, const std::string& context,
                                               std::vector<std::pair<std::string, position>>* answers);
    std::vector<transition> parse_transitions(const YAML::Node& k, const YAML::Node& v, const std::string& context,
                                              std::vector<std::pair<std::string, position>>* answers);
    std::vector<choice_option> parse_choices(const YAML::Node& k, const YAML::Node& v, const std::string& context);
    std::vector<flow_action> parse_actions(const YAML::Node& k, const YAML::Node& v, const std::string& context);
    void parse_state(const std::string& id, const YAML::Node& k, const YAML::Node& v);
    void check_references();
    void parse_clarify(const YAML::Node& k, const YAML::Node& v);
    void parse_follow_up(const YAML::Node& k, const YAML::Node& v);

    std::vector<placeholder_use> placeholders_;
    std::vector<slot_use> slot_conditions_;
    // `outcome` conditions met since the owner (a state's `next`, or `interrupts`) began.
    std::vector<std::pair<std::string, position>> outcomes_;
};

translations parser::texts_of(const YAML::Node& k, const YAML::Node& v, const std::string& what) {
    translations out;
    if (!expect_map(k, v, what)) return out;
    each(v, {}, what, [&](const std::string& lang, const YAML::Node& lk, const YAML::Node& lv) {
        if (std::find(f_.languages.begin(), f_.languages.end(), lang) == f_.languages.end()) {
            error(at(lk.Mark()), what + ": language '" + lang + "' is not in `languages`");
            return;
        }
        auto s = string_of(lk, lv, what + " (" + lang + ")");
        if (!s) return;
        if (text::trim(*s).empty()) {
            error(at_value(lk, lv), what + " (" + lang + ") is empty");
            return;
        }
        for (auto& p : text::placeholders(*s)) placeholders_.push_back({p.name, at_value(lk, lv), what});
        out[lang] = *s;
    });
    for (const auto& lang : f_.languages)
        if (!out.count(lang) && v.IsMap()) error(at(v.Mark()), what + " has no '" + lang + "' translation");
    return out;
}

void parser::parse_header(const YAML::Node& root) {
    // First pass: everything the states need to be checked against (languages, vars).
    each(root, {"flow", "version", "languages", "start", "fallback", "misunderstood", "vars", "clarify", "follow_up", "interrupts", "states"}, "the flow",
         [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
             if (key == "flow") {
                 if (auto s = name_of(k, v, "`flow`")) f_.id = *s;
             } else if (key == "version") {
                 if (auto s = string_of(k, v, "`version`")) {
                     if (text::trim(*s).empty()) error(at_value(k, v), "`version` is empty");
                     f_.version = *s;
                 }
             } else if (key == "start") {
                 if (auto s = name_of(k, v, "`start`")) f_.start = *s;
                 positions_.start = at_value(k, v);
             } else if (key == "fallback") {
                 if (auto s = name_of(k, v, "`fallback`")) f_.fallback_state = *s;
                 positions_.fallback = at_value(k, v);
             } else if (key == "misunderstood") {
                 if (auto s = name_of(k, v, "`misunderstood`")) f_.misunderstood_state = *s;
                 positions_.misunderstood = at_value(k, v);
             } else if (key == "languages") {
                 for (auto& lang : strings_of(k, v, "`languages`")) {
                     if (std::find(f_.languages.begin(), f_.languages.end(), lang) != f_.languages.end())
                         error(at_value(k, v), "language '" + lang + "' is listed twice");
                     else f_.languages.push_back(lang);
                 }
                 if (v.IsSequence() && f_.languages.empty()) error(at_value(k, v), "`languages` is empty");
             } else if (key == "vars") {
                 if (!expect_map(k, v, "`vars`")) return;
                 each(v, {}, "`vars`", [&](const std::string& name, const YAML::Node& vk, const YAML::Node& vv) {
                     if (!valid_name(name)) error(at(vk.Mark()), "var name '" + name + "' must be letters, digits and '_'");
                     else if (auto s = string_of(vk, vv, "var '" + name + "'")) f_.vars[name] = *s;
                 });
             }
         });
    for (std::string_view required : {"flow", "version", "languages", "start", "fallback", "states"})
        if (!root[std::string(required)]) error(at(root.Mark()), "missing required key '" + std::string(required) + "'");
}

void parser::parse(const YAML::Node& root) {
    if (!root.IsMap()) {
        error(root.IsNull() ? position{1, 1} : at(root.Mark()), "a flow file must be a YAML map (see docs/flows.md)");
        return;
    }
    parse_header(root);
    bool seen_interrupts = false, seen_states = false;  // duplicates were reported by parse_header
    for (auto it = root.begin(); it != root.end(); ++it) {
        // Copies: `it->first` lives in a temporary proxy, so a reference to it would dangle.
        const YAML::Node k = it->first;
        const YAML::Node v = it->second;
        if (!k.IsScalar()) continue;
        if (k.Scalar() == "clarify") {
            parse_clarify(k, v);
        } else if (k.Scalar() == "follow_up") {
            parse_follow_up(k, v);
        } else if (k.Scalar() == "interrupts" && !std::exchange(seen_interrupts, true)) {
            outcomes_.clear();
            f_.interrupts = parse_transitions(k, v, "`interrupts`", nullptr);
            for (const auto& [name, where] : outcomes_)
                error(where, "`interrupts`: `outcome` is only for the `next` of a state with a `call`");
        } else if (k.Scalar() == "states" && !std::exchange(seen_states, true)) {
            if (!expect_map(k, v, "`states`")) continue;
            each(v, {}, "`states`", [&](const std::string& id, const YAML::Node& sk, const YAML::Node& sv) {
                parse_state(id, sk, sv);
            }, "state id");
            if (v.size() == 0) error(at_value(k, v), "`states` is empty");
        }
    }
    check_references();
}

void parser::parse_clarify(const YAML::Node& k, const YAML::Node& v) {
    if (!expect_map(k, v, "`clarify`")) return;
    each(v, {"below", "say", "noted", "carried"}, "`clarify`", [&](const std::string& key, const YAML::Node& ck, const YAML::Node& cv) {
        if (key == "below") {
            double d = -1;
            if (!cv.IsScalar() || !YAML::convert<double>::decode(cv, d) || d < 0 || d > 1) {
                error(at_value(ck, cv), "`clarify.below` must be a number from 0 to 1");
                return;
            }
            f_.clarify.below = d;
        } else if (key == "say") {
            f_.clarify.say = texts_of(ck, cv, "`clarify.say`");
        } else {
            const std::string context = "`clarify." + key + "`";
            (key == "noted" ? f_.clarify.noted : f_.clarify.carried) = texts_of(ck, cv, context);
            // {request} is filled by the engine with the label of what was asked for.
            std::erase_if(placeholders_, [&](const placeholder_use& p) {
                return p.name == "request" && p.context == context;
            });
        }
    });
    if (f_.clarify.below > 0 && !v["say"]) error(at(v.Mark()), "`clarify` needs `say` when `below` is above 0");
}

// follow_up:
//   headache:
//     - ask: { en: "...", es: "..." }
//       yes: emergency
void parser::parse_follow_up(const YAML::Node& k, const YAML::Node& v) {
    if (!expect_map(k, v, "`follow_up`")) return;
    each(v, {}, "`follow_up`", [&](const std::string& topic, const YAML::Node& tk, const YAML::Node& tv) {
        const std::string what = "`follow_up." + topic + "`";
        if (!valid_name(topic)) return error(at(tk.Mark()), what + ": a complaint is a rule category or finding name");
        if (!tv.IsSequence() || tv.size() == 0) return error(at_value(tk, tv), what + " must be a non-empty list of questions");
        if (tv.size() > 3) error(at_value(tk, tv), what + ": at most 3 questions (a patient waiting for help answers few)");
        auto& list = f_.follow_up[topic];
        for (std::size_t i = 0; i < tv.size(); ++i) {
            const YAML::Node q = tv[i];
            const std::string qwhat = what + "[" + std::to_string(i + 1) + "]";
            if (!expect_map(q, q, qwhat)) continue;
            follow_up_question fq;
            bool has_ask = false, has_yes = false;
            each(q, {"ask", "yes"}, qwhat, [&](const std::string& key, const YAML::Node& qk, const YAML::Node& qv) {
                if (key == "ask") {
                    has_ask = true;
                    fq.ask = texts_of(qk, qv, qwhat + ": `ask`");
                } else {
                    has_yes = true;
                    auto s = string_of(qk, qv, qwhat + ": `yes`");
                    auto u = s ? rules::urgency_from_string(*s) : std::nullopt;
                    if (!u || *u < rules::urgency::routine)
                        error(at_value(qk, qv), qwhat + ": `yes` must be routine, urgent or emergency (what a yes makes it)");
                    else fq.yes = *u;
                }
            });
            if (!has_ask || !has_yes) error(at(q.Mark()), qwhat + " needs `ask` and `yes`");
            list.push_back(std::move(fq));
        }
    });
}

std::optional<condition> parser::parse_condition(const YAML::Node& k, const YAML::Node& v, const std::string& context,
                                                 std::vector<std::pair<std::string, position>>* answers) {
    if (!expect_map(k, v, context + ": `if`")) return std::nullopt;
    condition c;
    bool ok = true;
    each(v, {"intent", "urgency_at_least", "answer", "slot", "outcome"}, context + ": `if`",
         [&](const std::string& key, const YAML::Node& ck, const YAML::Node& cv) {
             if (key == "intent") {
                 if (auto s = name_of(ck, cv, "`intent`")) c.intent = *s;
                 else ok = false;
             } else if (key == "urgency_at_least") {
                 auto s = string_of(ck, cv, "`urgency_at_least`");
                 auto u = s ? rules::urgency_from_string(*s) : std::nullopt;
                 if (s && !u)
                     error(at_value(ck, cv), "`urgency_at_least` must be one of none, self_care, routine, urgent, emergency");
                 if (u) c.urgency_at_least = *u;
                 else ok = false;
             } else if (key == "answer") {
                 if (auto s = string_of(ck, cv, "`answer`")) {
                     c.answer = *s;
                     if (answers) answers->emplace_back(*s, at_value(ck, cv));
                 } else {
                     ok = false;
                 }
             } else if (key == "outcome") {
                 if (auto s = name_of(ck, cv, "`outcome`")) {
                     c.outcome = *s;
                     outcomes_.emplace_back(*s, at_value(ck, cv));
                 } else {
                     ok = false;
                 }
             } else if (key == "slot") {
                 if (!cv.IsMap() || cv.size() != 1) {
                     error(at_value(ck, cv), "`slot` must be a map with one entry, `{slot_name: value}`");
                     ok = false;
                     return;
                 }
                 const YAML::Node slot_key = cv.begin()->first;
                 const YAML::Node slot_value = cv.begin()->second;
                 auto name = name_of(slot_key, slot_key, "a slot name");
                 auto value = string_of(slot_key, slot_value, "the slot value");
                 if (name && value) {
                     c.slot_equals.emplace(*name, *value);
                     slot_conditions_.push_back({*name, at(slot_key.Mark())});
                 } else {
                     ok = false;
                 }
             }
         });
    if (!ok) return std::nullopt;
    return c;
}

std::optional<transition> parser::parse_transition(const YAML::Node& item, const std::string& context,
                                                   std::vector<std::pair<std::string, position>>* answers) {
    if (!item.IsMap()) {
        error(at(item.Mark()), context + ": each entry must be a map with `to` and an optional `if`");
        return std::nullopt;
    }
    transition t;
    bool ok = true;
    bool has_to = false;
    each(item, {"if", "to"}, context, [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
        if (key == "to") {
            has_to = true;
            auto p = at_value(k, v);
            t.line = p.line;
            t.column = p.column;
            if (auto s = name_of(k, v, context + ": `to`")) t.target = *s;
            else ok = false;
        } else if (auto c = parse_condition(k, v, context, answers)) {
            t.when = *c;
        } else {
            ok = false;
        }
    });
    if (!has_to) error(at(item.Mark()), context + ": transition has no `to`");
    if (!ok || !has_to) return std::nullopt;
    return t;
}

std::vector<transition> parser::parse_transitions(const YAML::Node& k, const YAML::Node& v, const std::string& context,
                                                  std::vector<std::pair<std::string, position>>* answers) {
    std::vector<transition> out;
    if (!expect_sequence(k, v, context)) return out;
    for (const auto& item : v)
        if (auto t = parse_transition(item, context, answers)) out.push_back(std::move(*t));
    return out;
}

std::vector<choice_option> parser::parse_choices(const YAML::Node& k, const YAML::Node& v, const std::string& context) {
    std::vector<choice_option> out;
    if (!expect_sequence(k, v, context + ": `choices`")) return out;
    for (const auto& item : v) {
        if (!item.IsMap()) {
            error(at(item.Mark()), context + ": each choice must be a map with `value` and `label`");
            continue;
        }
        choice_option c;
        bool has_label = false;
        each(item, {"value", "label", "synonyms", "intents"}, context + ": choice",
             [&](const std::string& key, const YAML::Node& ck, const YAML::Node& cv) {
                 if (key == "value") {
                     if (auto s = string_of(ck, cv, "choice `value`")) c.value = *s;
                 } else if (key == "label") {
                     has_label = true;
                     c.label = texts_of(ck, cv, context + ": choice label");
                 } else if (key == "synonyms") {
                     c.synonyms = strings_of(ck, cv, "`synonyms`");
                 } else {
                     c.intents = strings_of(ck, cv, "`intents`");
                 }
             });
        if (text::fold(c.value).empty()) {
            error(at(item.Mark()), context + ": choice has no `value`");
            continue;
        }
        if (!has_label) error(at(item.Mark()), context + ": choice '" + c.value + "' has no `label`");
        for (const auto& other : out)
            if (text::fold(other.value) == text::fold(c.value))
                error(at(item.Mark()), context + ": choice value '" + c.value + "' is used twice");
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<flow_action> parser::parse_actions(const YAML::Node& k, const YAML::Node& v, const std::string& context) {
    std::vector<flow_action> out;
    if (!expect_sequence(k, v, context + ": `actions`")) return out;
    for (const auto& item : v) {
        std::string kind, reason;
        if (item.IsScalar()) {
            kind = item.Scalar();
        } else if (const YAML::Node k = item.IsMap() && item.size() == 1 ? item.begin()->first : YAML::Node();
                   k.IsScalar()) {
            kind = k.Scalar();
            auto r = string_of(k, item.begin()->second, "the action reason");
            if (!r) continue;
            reason = *r;
        } else {
            error(at(item.Mark()), context + ": each action must look like `{escalate: reason}`");
            continue;
        }
        auto found = std::find(std::begin(action_names), std::end(action_names), kind);
        if (found == std::end(action_names)) {
            error(at(item.Mark()), context + ": unknown action '" + kind + "'; expected one of: escalate, request_booking, handoff, close");
            continue;
        }
        out.push_back({static_cast<action_kind>(found - std::begin(action_names)), reason});
    }
    return out;
}

void parser::parse_state(const std::string& id, const YAML::Node& sk, const YAML::Node& sv) {
    const std::string context = "state '" + id + "'";
    if (!valid_name(id)) error(at(sk.Mark()), "state id '" + id + "' must be letters, digits, '_' and '-'");
    if (id == back_target) error(at(sk.Mark()), "state id 'back' is reserved: `to: back` returns to where the patient was not understood");
    if (!expect_map(sk, sv, context)) return;
    flow_state s;
    s.id = id;
    s.line = at(sk.Mark()).line;
    s.column = at(sk.Mark()).column;
    bool has_say = false;
    bool has_choices = false;
    std::vector<std::pair<std::string, position>> answers;
    outcomes_.clear();
    each(sv, {"say", "reprompt", "input", "slot", "dates", "choices", "actions", "next", "close", "call", "offers"}, context,
         [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
             if (key == "say") {
                 has_say = true;
                 s.say = texts_of(k, v, context + ": `say`");
             } else if (key == "reprompt") {
                 s.reprompt = texts_of(k, v, context + ": `reprompt`");
             } else if (key == "input") {
                 auto name = string_of(k, v, context + ": `input`");
                 auto found = name ? std::find(std::begin(input_names), std::end(input_names), *name) : std::end(input_names);
                 if (found != std::end(input_names)) s.input = static_cast<input_kind>(found - std::begin(input_names));
                 else if (name) error(at_value(k, v), context + ": `input` must be one of none, free_text, choice, yes_no, date, phone, follow_up");
             } else if (key == "slot") {
                 if (auto n = name_of(k, v, context + ": `slot`")) s.slot = *n;
             } else if (key == "dates") {
                 auto name = string_of(k, v, context + ": `dates`");
                 if (name && *name == "future") s.dates = flow_state::date_range::future;
                 else if (name && *name == "past") s.dates = flow_state::date_range::past;
                 else if (name && *name == "any") s.dates = flow_state::date_range::any;
                 else if (name) error(at_value(k, v), context + ": `dates` must be one of future, past, any");
             } else if (key == "choices") {
                 has_choices = true;
                 s.choices = parse_choices(k, v, context);
             } else if (key == "actions") {
                 s.actions = parse_actions(k, v, context);
             } else if (key == "next") {
                 s.next = parse_transitions(k, v, context + ": `next`", &answers);
             } else if (key == "call") {
                 auto name = name_of(k, v, context + ": `call`");
                 if (name && find_call(*name)) {
                     s.call = *name;
                 } else if (name) {
                     std::string names;
                     for (const auto& c : known_calls()) names += (names.empty() ? "" : ", ") + std::string(c.name);
                     error(at_value(k, v), context + ": unknown call '" + *name + "'; expected one of: " + names);
                 }
             } else if (key == "offers") {
                 bool b = false;
                 if (!YAML::convert<bool>::decode(v, b)) error(at_value(k, v), context + ": `offers` must be true or false");
                 s.offers = b;
             } else {
                 bool b = false;
                 if (!YAML::convert<bool>::decode(v, b)) error(at_value(k, v), context + ": `close` must be true or false");
                 s.close = b;
             }
         });
    const position here = at(sk.Mark());
    if (s.input == input_kind::choice && s.choices.empty() && !has_choices && !s.offers)
        error(here, context + " has `input: choice` but no `choices`");
    if (has_choices && s.input != input_kind::choice) error(here, context + " has `choices` but its input is not `choice`");
    // A follow_up state's questions are its prompts; its `say` only introduces them.
    if (s.input != input_kind::none && s.input != input_kind::follow_up && !has_say)
        error(here, context + " waits for input but has no `say` prompt");
    if (s.input == input_kind::follow_up && !s.slot.empty()) error(here, context + ": a follow_up state has no `slot`");
    if (s.input == input_kind::none && !s.slot.empty()) error(here, context + " has a `slot` but no `input` to fill it");
    if (s.offers && s.input != input_kind::choice) error(here, context + " has `offers` but its input is not `choice`");
    if (!s.call.empty() && s.input != input_kind::none)
        error(here, context + " has a `call` and waits for input; a call state continues on the call's outcome");
    if (!s.call.empty() && s.close) error(here, context + " has a `call` and `close: true`");
    if (const call_spec* spec = find_call(s.call)) {
        for (const auto& [name, where] : outcomes_)
            if (std::find(spec->outcomes.begin(), spec->outcomes.end(), name) == spec->outcomes.end()) {
                std::string names;
                for (auto o : spec->outcomes) names += (names.empty() ? "" : ", ") + std::string(o);
                error(where, context + ": call '" + s.call + "' has no outcome '" + name + "'; expected one of: " + names);
            }
    } else {
        for (const auto& [name, where] : outcomes_)
            error(where, context + ": `outcome` needs a state with a `call`");
    }
    for (const auto& [answer, where] : answers) {
        if (s.input == input_kind::none) {
            error(where, context + ": `answer` needs a state with `input`; use `slot` conditions after input-less states");
        } else if (s.input == input_kind::yes_no && answer != "yes" && answer != "no") {
            error(where, context + ": a yes_no answer is \"yes\" or \"no\", not '" + answer + "'");
        } else if (s.input == input_kind::choice &&
                   std::none_of(s.choices.begin(), s.choices.end(),
                                [&](const choice_option& c) { return text::fold(c.value) == text::fold(answer); })) {
            error(where, context + ": '" + answer + "' is not one of the choice values");
        }
    }
    f_.states.push_back(std::move(s));
}

void parser::check_references() {
    std::set<std::string> slots;
    for (const auto& s : f_.states) {
        if (!s.slot.empty()) slots.insert(s.slot);
        if (const call_spec* spec = find_call(s.call))
            for (auto name : spec->fills) slots.insert(std::string(name));
    }
    for (const auto& p : placeholders_)
        if (!f_.vars.count(p.name) && !slots.count(p.name))
            error(p.where, p.context + ": placeholder {" + p.name + "} is neither in `vars` nor a slot");
    for (const auto& u : slot_conditions_)
        if (!slots.count(u.name)) error(u.where, "condition on slot '" + u.name + "', which no state fills");
}

}  // namespace

flow_load_result load_flow(std::string_view yaml_text, std::string_view file_name) {
    flow_load_result result;
    try {
        YAML::Node root = YAML::Load(std::string(yaml_text));
        parser p(file_name, result.diagnostics);
        p.parse(root);
        if (result.diagnostics.empty()) detail::check_graph(p.f_, p.positions_, file_name, result.diagnostics);
        if (result.diagnostics.empty()) result.loaded = std::move(p.f_);
    } catch (const YAML::Exception& e) {
        // e.msg, not e.what(): what() repeats the position we already report as fields.
        auto where = at(e.mark);
        result.diagnostics.push_back({std::string(file_name), where.line, where.column, "invalid YAML: " + e.msg});
    } catch (const std::exception& e) {
        result.diagnostics.push_back({std::string(file_name), 0, 0, std::string("cannot load flow: ") + e.what()});
    }
    return result;
}

}  // namespace triage::dialog
