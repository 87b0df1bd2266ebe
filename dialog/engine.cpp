#include "dialog/engine.hpp"

#include "dialog/answer.hpp"
#include "dialog/text.hpp"

#include <algorithm>

namespace triage::dialog {

namespace {

// Built-in texts for what the engine itself must say. Clinic wording lives in the flow; these only
// cover re-asking and the last-resort reply when the flow itself cannot be followed.
struct builtin_texts {
    const char* sorry;
    const char* hint_yes_no;
    const char* hint_choice;
    const char* hint_date;
    const char* hint_past_date;    // a preferred day that has gone by
    const char* hint_future_date;  // a birth date still to come
    const char* hint_phone;
    const char* hint_text;
    const char* yes;
    const char* no;
    const char* not_sure;
    const char* internal_error;  // {emergency_number} is substituted when the flow defines it
    const char* carried;         // when the flow has no clarify.carried; {request} is a choice label
    const char* stuck;           // after two misses, when the flow has no `misunderstood` state
    const char* person;          // the quick reply offering a person
};

constexpr builtin_texts english = {
    "Sorry, I didn't get that.",
    "Please answer yes or no.",
    "Please tap one of the options.",
    "Please write a date, for example \"tomorrow\" or 03/14/2026.",
    "That date has already passed. Please choose today or a later day, for example \"tomorrow\" or \"next Tuesday\".",
    "That date is still to come. Please write your date of birth, for example 02/14/1980.",
    "Please write your phone number using digits, for example 555 010 0123.",
    "Please write a few words.",
    "Yes",
    "No",
    "Not sure",
    "Something went wrong on our side. We have alerted the clinic staff. If this is an emergency, call "
    "{emergency_number} now.",
    "I can help with that ({request}). First, please answer this:",
    "I'm sorry, I'm not understanding. You can try again in other words, or ask for a person from the clinic.",
    "Talk to a person",
};
constexpr builtin_texts spanish = {
    "Perdone, no le entendí.",
    "Por favor, responda sí o no.",
    "Por favor, toque una de las opciones.",
    "Por favor, escriba una fecha, por ejemplo \"mañana\" o 03/14/2026.",
    "Esa fecha ya pasó. Por favor, elija hoy o un día después, por ejemplo \"mañana\" o \"el martes\".",
    "Esa fecha todavía no llega. Por favor, escriba su fecha de nacimiento, por ejemplo 02/14/1980.",
    "Por favor, escriba su número de teléfono con cifras, por ejemplo 555 010 0123.",
    "Por favor, escriba unas palabras.",
    "Sí",
    "No",
    "No estoy seguro",
    "Algo salió mal de nuestro lado. Hemos avisado al personal de la clínica. Si es una emergencia, llame al "
    "{emergency_number} ahora.",
    "Puedo ayudarle con eso ({request}). Primero, por favor responda esto:",
    "Lo siento, no le estoy entendiendo. Puede intentarlo con otras palabras, o pedir hablar con una persona de la clínica.",
    "Hablar con una persona",
};

const builtin_texts& builtin(const std::string& lang) { return lang == "es" ? spanish : english; }

// After two answers the engine cannot read, the flow's `misunderstood` state offers a person and a
// way back, rather than a third "sorry".
constexpr int max_retries = 2;

// One of the patient's first messages read confidently as another language switches the
// conversation to it. One or two words ("ok", "no") say too little, mixed text ("tengo un
// appointment") reads below the confidence, and later messages are answers (a name such as
// "Linh Thi Nguyen" reads as English), so all of those leave the language as it is.
constexpr double language_switch_confidence = 0.9;
constexpr std::size_t language_switch_words = 3;
constexpr int language_switch_turns = 2;

bool switches_language(const patient_said& e, const conversation_state& st) {
    return st.turns <= language_switch_turns && !e.language.empty() && e.language != st.lang &&
           e.language_confidence >= language_switch_confidence &&
           text::words(text::fold(e.text)).size() >= language_switch_words;
}

// Requests worth carrying from a yes/no question to the menu: what a patient came for.
bool carryable(std::string_view intent) {
    return !intent.empty() && intent != "greeting" && intent != "goodbye" && intent != "other" &&
           intent != "speak_to_human";
}

// The choice option of `s` that `intent` selects, if any.
const choice_option* option_for_intent(const flow_state& s, std::string_view intent) {
    if (s.input != input_kind::choice || intent.empty()) return nullptr;
    for (const auto& c : s.choices)
        if (c.value == intent || std::find(c.intents.begin(), c.intents.end(), intent) != c.intents.end()) return &c;
    return nullptr;
}

struct eval_context {
    std::string_view intent;
    rules::urgency urgency = rules::urgency::none;
    const std::string* answer = nullptr;
    const std::map<std::string, std::string>* slots = nullptr;
    std::string_view outcome;  // of the call just finished; empty otherwise
};

bool holds(const condition& c, const eval_context& x) {
    if (c.intent && *c.intent != x.intent) return false;
    if (c.urgency_at_least && x.urgency < *c.urgency_at_least) return false;
    if (c.answer && (!x.answer || text::fold(*c.answer) != text::fold(*x.answer))) return false;
    if (c.outcome && *c.outcome != x.outcome) return false;
    if (c.slot_equals) {
        auto it = x.slots->find(c.slot_equals->first);
        if (it == x.slots->end() || text::fold(it->second) != text::fold(c.slot_equals->second)) return false;
    }
    return true;
}

const transition* first_match(const std::vector<transition>& ts, const eval_context& x) {
    for (const auto& t : ts)
        if (holds(t.when, x)) return &t;
    return nullptr;
}

// One call of advance(): the step being built and what the current message told us.
class turn {
public:
    turn(const flow& f, const conversation_state& s) : f_(f) { out_.state = s; }

    step& out() { return out_; }
    const flow& definition() const { return f_; }
    eval_context context(const std::string* answer) const {
        return {intent_, urgency_, answer, &out_.state.slots, {}};
    }
    void set_message(std::string_view intent, rules::urgency u) {
        intent_ = intent;
        urgency_ = u;
    }
    void set_assessment(const rules::assessment* a) { assessment_ = a; }

    // The complaint whose red-flag questions apply: a rule category, then a finding, of the
    // message being processed; "default" otherwise. Empty when the flow has none.
    std::string follow_up_topic() const {
        const auto& q = f_.follow_up;
        if (!carried_topic_.empty() && q.count(carried_topic_)) return carried_topic_;
        if (assessment_) {
            for (const auto& fnd : assessment_->findings)
                if (q.count(fnd.category)) return fnd.category;
            for (const auto& fnd : assessment_->clinical_findings)
                if (q.count(fnd.rule_id)) return fnd.rule_id;
        }
        return q.count("default") ? "default" : std::string();
    }

    // Asks the next red-flag question of the current follow_up state; false when none is left.
    bool ask_follow_up(const flow_state& s, bool introduce) {
        auto& st = out_.state;
        auto it = f_.follow_up.find(st.follow_up_topic);
        if (it == f_.follow_up.end() || st.follow_up_asked >= static_cast<int>(it->second.size())) return false;
        const auto& q = it->second[static_cast<std::size_t>(st.follow_up_asked)];
        std::string text = substitute(pick(q.ask));
        if (introduce) {
            if (auto intro = substitute(pick(s.say)); !intro.empty()) text = intro + " " + text;
        }
        const auto& b = builtin(st.lang);
        out_.replies.push_back({std::move(text), {{b.yes, "yes"}, {b.no, "no"}, {b.not_sure, "not sure"}}, s.id});
        return true;
    }

    // A request made at a yes/no question, kept for the first choice that offers it; a symptom
    // description keeps its urgency and red-flag topic too.
    void carry(std::string_view intent) {
        auto& st = out_.state;
        st.carried_intent = std::string(intent);
        if (intent == "symptom_report" && assessment_) {
            st.carried_level = assessment_->level;
            const std::string topic = follow_up_topic();
            st.carried_topic = topic == "default" ? std::string() : topic;
        }
    }

    // The same red-flag question again, after an answer that was neither yes, no nor "not sure".
    void reask_follow_up(const flow_state& s) {
        const auto& b = builtin(out_.state.lang);
        const std::size_t before = out_.replies.size();
        if (!ask_follow_up(s, false) || out_.replies.size() == before) return;
        out_.replies.back().text = std::string(b.sorry) + " " + b.hint_yes_no + " " + out_.replies.back().text;
    }

    // After the questions: the state's `next` with the urgency they raised (never below the
    // message's own).
    const transition* follow_up_done(const flow_state& s) {
        auto& st = out_.state;
        urgency_ = std::max(urgency_, st.follow_up_level);
        st.highest_urgency = std::max(st.highest_urgency, urgency_);
        st.follow_up_topic.clear();
        st.follow_up_asked = 0;
        st.follow_up_level = rules::urgency::none;
        return first_match(s.next, context(nullptr));
    }

    std::string pick(const translations& t) const {
        for (const std::string* lang : {&out_.state.lang, &english_code_})
            if (auto it = t.find(*lang); it != t.end()) return it->second;
        for (const auto& lang : f_.languages)
            if (auto it = t.find(lang); it != t.end()) return it->second;
        return t.empty() ? std::string() : t.begin()->second;
    }

    // {name} from the flow's vars, else from the slots; unknown names stay as written (the loader
    // rejects them, so this only happens with flows built in code).
    std::string substitute(const std::string& s) const {
        std::string out;
        std::size_t from = 0;
        for (const auto& p : text::placeholders(s)) {
            out.append(s, from, p.begin - from);
            if (auto v = f_.vars.find(p.name); v != f_.vars.end()) out += v->second;
            else if (auto sl = out_.state.slots.find(p.name); sl != out_.state.slots.end()) out += sl->second;
            else out.append(s, p.begin, p.end - p.begin);
            from = p.end;
        }
        out.append(s, from, std::string::npos);
        return out;
    }

    std::vector<quick_reply> quick_replies(const flow_state& s) const {
        std::vector<quick_reply> out;
        if (s.input == input_kind::choice && s.offers)
            for (const auto& o : out_.state.offers) out.push_back({o.label, o.value});
        if (s.input == input_kind::choice)
            for (const auto& c : s.choices) out.push_back({substitute(pick(c.label)), c.value});
        if (s.input == input_kind::yes_no) {
            const auto& b = builtin(out_.state.lang);
            out.push_back({b.yes, "yes"});
            out.push_back({b.no, "no"});
        }
        return out;
    }

    void say(const flow_state& s, std::string prefix = {}) {
        std::string prompt = substitute(pick(s.say));
        std::string body = prefix.empty() ? prompt : prompt.empty() ? prefix : prefix + " " + prompt;
        if (body.empty()) return;  // routing states speak through the states they lead to
        out_.replies.push_back({std::move(body), quick_replies(s), s.id});
    }

    // At most one action of each kind per step; the first says why the step happened, so it wins.
    void act(action_kind kind, const std::string& reason) {
        for (const auto& a : out_.actions)
            if (a.kind == kind) return;
        out_.actions.push_back({kind, reason, out_.state.highest_urgency});
    }
    bool has_action(action_kind kind) const {
        return std::any_of(out_.actions.begin(), out_.actions.end(), [&](const action& a) { return a.kind == kind; });
    }

    // Enters `target` and keeps following input-less states until one waits for the patient or
    // closes. `caused` means the caller already added the escalate/handoff action that explains
    // this move, so the first state's own escalate/handoff actions would only duplicate it.
    void run_from(std::string target, bool caused = false) {
        for (bool first = true;; first = false) {
            if (++entered_ > max_states_per_step) return fail();
            if (target == back_target) target = out_.state.stuck_at.empty() ? f_.start : out_.state.stuck_at;
            const flow_state* s = f_.find(target);
            if (!s) return fail();
            out_.state.current_state = s->id;
            out_.state.retries = 0;
            // A request the patient made earlier (at the consent question) answers the first
            // choice that offers it: they are not asked again what they already said.
            if (const choice_option* c = option_for_intent(*s, out_.state.carried_intent)) {
                out_.state.carried_intent.clear();
                // A symptom described at the consent question: the path goes on from it.
                urgency_ = std::max(urgency_, out_.state.carried_level);
                carried_topic_ = std::move(out_.state.carried_topic);
                out_.state.carried_level = rules::urgency::none;
                out_.state.carried_topic.clear();
                if (!s->slot.empty()) out_.state.slots[s->slot] = c->value;
                if (const transition* t = first_match(s->next, context(&c->value))) {
                    target = t->target;
                    continue;
                }
            }
            if (s->input == input_kind::follow_up) {
                auto& st = out_.state;
                st.follow_up_topic = follow_up_topic();
                st.follow_up_asked = 0;
                st.follow_up_level = urgency_;
                if (ask_follow_up(*s, true)) return;
                const transition* t = follow_up_done(*s);
                if (!t) return fail();
                target = t->target;
                continue;
            }
            // Questions left unanswered by an interrupt (a red flag, a request for a person) end.
            out_.state.follow_up_topic.clear();
            out_.state.follow_up_asked = 0;
            out_.state.follow_up_level = rules::urgency::none;
            say(*s);
            for (const auto& a : s->actions) {
                bool alert = a.kind == action_kind::escalate || a.kind == action_kind::handoff;
                if (!(first && caused && alert)) act(a.kind, a.reason);
            }
            if (s->close) {
                out_.state.ended = true;
                return;
            }
            if (!s->call.empty()) {
                out_.call = s->call;
                return;
            }
            if (s->input != input_kind::none) return;
            const transition* t = first_match(s->next, context(nullptr));
            if (!t) return fail();
            target = t->target;
        }
    }

    // The flow cannot be followed: alert staff and go to the fallback state. If even that fails,
    // say the built-in safe reply and end, so the patient is never left without an answer.
    void fail() {
        act(action_kind::escalate, "internal_error");
        if (!failing_) {
            failing_ = true;
            entered_ = 0;
            return run_from(f_.fallback_state, true);
        }
        last_resort();
    }

    void last_resort() {
        std::string msg = builtin(out_.state.lang).internal_error;
        auto v = f_.vars.find("emergency_number");
        auto p = text::placeholders(msg);
        if (!p.empty()) msg.replace(p[0].begin, p[0].end - p[0].begin, v != f_.vars.end() ? v->second : "911");
        out_.replies.push_back({std::move(msg), {}, out_.state.current_state});
        out_.state.current_state = f_.fallback_state;
        out_.state.ended = true;
    }

    // "Did you mean one of these?" with the candidate choices as quick replies.
    void ask_which(const flow_state& s, const std::vector<const choice_option*>& candidates) {
        std::vector<quick_reply> replies;
        for (const auto* c : candidates) replies.push_back({substitute(pick(c->label)), c->value});
        out_.replies.push_back({substitute(pick(f_.clarify.say)), std::move(replies), s.id});
        out_.clarified = true;
    }

    void reprompt(const flow_state& s, std::string_view patient_text, std::chrono::system_clock::time_point now) {
        const auto& b = builtin(out_.state.lang);
        const char* hint = b.hint_text;
        switch (s.input) {
        case input_kind::yes_no: hint = b.hint_yes_no; break;
        case input_kind::choice: hint = b.hint_choice; break;
        case input_kind::date: hint = b.hint_date; break;
        case input_kind::phone: hint = b.hint_phone; break;
        default: break;
        }
        // A date that is a date, only not one this question takes: say why, before the question.
        if (auto why = date_refusal(s, patient_text, now)) {
            const char* reason = *why == "past" ? b.hint_past_date : b.hint_future_date;
            say(s, reason);
            return;
        }
        if (!s.reprompt.empty()) {
            std::string text = std::string(b.sorry) + " " + substitute(pick(s.reprompt));
            out_.replies.push_back({std::move(text), quick_replies(s), s.id});
            return;
        }
        say(s, std::string(b.sorry) + " " + hint);
    }

    // A flow without `misunderstood`: say so, offer a person, and stay at the question.
    void offer_person(const flow_state& s) {
        const auto& b = builtin(out_.state.lang);
        out_.state.retries = 0;
        auto replies = quick_replies(s);
        replies.push_back({b.person, b.person});
        out_.replies.push_back({b.stuck, std::move(replies), s.id});
    }

    // The question again, saying the request was heard and will be dealt with after it.
    void reprompt_carrying(const flow_state& s, const choice_option& request) {
        std::string intro = f_.clarify.carried.empty() ? builtin(out_.state.lang).carried : substitute(pick(f_.clarify.carried));
        if (auto at = intro.find("{request}"); at != std::string::npos) intro.replace(at, 9, substitute(pick(request.label)));
        const translations& question = s.reprompt.empty() ? s.say : s.reprompt;
        out_.replies.push_back({intro + " " + substitute(pick(question)), quick_replies(s), s.id});
    }

    // The choice option somewhere in the flow that `intent` would select (for saying it back).
    const choice_option* option_anywhere(std::string_view intent) const {
        for (const auto& st : f_.states)
            if (const choice_option* c = option_for_intent(st, intent)) return c;
        return nullptr;
    }

private:
    const flow& f_;
    step out_;
    std::string_view intent_;
    rules::urgency urgency_ = rules::urgency::none;
    std::string carried_topic_;  // the red-flag topic of a carried symptom description
    const rules::assessment* assessment_ = nullptr;
    int entered_ = 0;
    bool failing_ = false;
    const std::string english_code_ = "en";
};

std::string supported_language(const flow& f, const std::string& wanted, const std::string& current) {
    for (const std::string* l : {&wanted, &current})
        if (std::find(f.languages.begin(), f.languages.end(), *l) != f.languages.end()) return *l;
    return f.languages.empty() ? current : f.languages.front();
}

// The state as the patient sees it: what the last call found first, then its own choices.
flow_state with_offers(const flow_state& s, const std::vector<offer>& offers) {
    if (!s.offers) return {};
    flow_state out = s;
    std::vector<choice_option> found;
    for (const auto& o : offers) found.push_back({o.value, translations{{"", o.label}}, {}, {}});
    out.choices.insert(out.choices.begin(), found.begin(), found.end());
    // The offers are choices now; left marked, quick_replies() would add them a second time (the
    // slot buttons shown twice after a wrong answer, issue 18).
    out.offers = false;
    return out;
}

void on_call_finished(turn& t, const call_finished& e) {
    auto& st = t.out().state;
    if (st.ended) return;
    const flow_state* cur = t.definition().find(st.current_state);
    // An outcome for a call this state did not ask for (an older flow, a confused server).
    if (!cur || cur->call != e.call) return t.fail();
    for (const auto& [k, v] : e.values) st.slots[k] = v;
    if (e.offers) st.offers = *e.offers;
    eval_context x = t.context(nullptr);
    x.outcome = e.outcome;
    const transition* n = first_match(cur->next, x);
    return n ? t.run_from(n->target) : t.fail();
}

void on_handed_back(turn& t, const handed_back& e) {
    const flow_state* target = t.definition().find(e.state);
    if (!target || !can_resume_at(*target)) return t.fail();
    auto& st = t.out().state;
    st.ended = false;
    st.retries = 0;
    t.run_from(e.state);
}

void on_started(turn& t, const conversation_started& e) {
    auto& st = t.out().state;
    st.flow_id = t.definition().id;
    st.flow_version = t.definition().version;
    st.lang = supported_language(t.definition(), e.lang, st.lang);
    st.language_chosen = e.language_chosen;
    st.ended = false;
    t.run_from(t.definition().start);
}

// The choices of a state that the classifier's candidates point to, most likely first, plus the
// state's "talk to a person" choice: what a clarifying question offers.
std::vector<const choice_option*> clarify_candidates(const flow_state& s, const intent_guess& g) {
    constexpr std::size_t max_candidates = 3;
    std::vector<const choice_option*> out;
    auto add_for = [&](const std::string& intent) {
        for (const auto& c : s.choices) {
            const bool maps = c.value == intent || std::find(c.intents.begin(), c.intents.end(), intent) != c.intents.end();
            if (maps && std::find(out.begin(), out.end(), &c) == out.end() && out.size() < max_candidates) out.push_back(&c);
        }
    };
    if (g.intent != "other" && g.intent != "speak_to_human") add_for(g.intent);
    for (const auto& a : g.alternatives)
        if (a.intent != "other" && a.intent != "speak_to_human") add_for(a.intent);
    if (out.empty()) return out;
    for (const auto& c : s.choices) {
        if (std::find(c.intents.begin(), c.intents.end(), "speak_to_human") != c.intents.end() &&
            std::find(out.begin(), out.end(), &c) == out.end()) {
            out.push_back(&c);
            break;
        }
    }
    return out;
}

// Only a plain "no" rules a red flag out. "Not sure", "no sé", "maybe", a description or no
// readable answer take the safer branch, as nurse triage does.
constexpr std::string_view unsure_words[] = {"not sure", "unsure", "dont know", "do not know", "maybe", "idk",
                                                  "kind of", "sort of", "a little", "a bit", "i think",
                                                  "no estoy segur", "tal vez", "quizas", "quiza", "puede ser", "creo que",
                                                  "un poco", "mas o menos", "not really sure"};

bool sounds_unsure(const std::string& folded) {
    for (auto u : unsure_words)
        if (folded.find(u) != std::string::npos) return true;
    // "No sé" is "I don't know"; "no se le quita" is "it won't go away", a description.
    const auto w = text::words(folded);
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        if (w[i] != "no" || w[i + 1] != "se") continue;
        if (i + 2 == w.size()) return true;
        const std::string_view next = w[i + 2];
        if (next == "si" || next == "bien" || next == "que" || next == "la" || next == "exactamente" || next == "creo")
            return true;
    }
    return false;
}

// "ok so friday is good" starts like a yes but answers something else; a red-flag question is
// asked once more rather than read as a yes. A short "ok sure" or a plain "yes, she's blue" is an
// answer.
bool weak_yes_in_a_longer_message(const std::string& folded) {
    constexpr std::string_view weak[] = {"ok", "okay", "okey", "k", "vale", "dale", "sure", "claro", "va", "bueno"};
    const auto w = text::words(folded);
    return w.size() > 3 && std::find(std::begin(weak), std::end(weak), w.front()) != std::end(weak);
}

bool plain_no(std::string_view text, std::chrono::system_clock::time_point now) {
    const std::string folded = text::fold(text);
    if (sounds_unsure(folded)) return false;
    flow_state yes_no;
    yes_no.input = input_kind::yes_no;
    auto a = interpret_answer(yes_no, text, {}, now);
    return a && *a == "no";
}

// An answer to a red-flag question (the state's input is follow_up).
void on_follow_up_answer(turn& t, const flow_state& s, const patient_said& e, bool language_only,
                         std::chrono::system_clock::time_point now) {
    auto& st = t.out().state;
    const auto& questions = t.definition().follow_up;
    auto it = questions.find(st.follow_up_topic);
    const bool pending = it != questions.end() && st.follow_up_asked < static_cast<int>(it->second.size());
    if (pending && language_only) {
        t.ask_follow_up(s, false);  // the same question, in the language just asked for
        return;
    }
    if (pending && st.retries == 0 && e.assessment.level < rules::urgency::urgent) {
        // An answer that is no answer at all ("actually make it Thursday"): asked once more with
        // the hint, rather than read as a yes; a second one takes the safer branch.
        flow_state yes_no;
        yes_no.input = input_kind::yes_no;
        const std::string folded = text::fold(e.text);
        if ((!interpret_answer(yes_no, e.text, {}, now) || weak_yes_in_a_longer_message(folded)) &&
            !sounds_unsure(folded)) {
            st.retries = 1;
            t.reask_follow_up(s);
            return;
        }
    }
    if (pending) {
        st.retries = 0;
        const auto& q = it->second[static_cast<std::size_t>(st.follow_up_asked)];
        if (!plain_no(e.text, now)) st.follow_up_level = std::max(st.follow_up_level, q.yes);
        ++st.follow_up_asked;
    }
    // A finding in the answer itself counts too ("no, but now my lips are blue").
    st.follow_up_level = std::max(st.follow_up_level, e.assessment.level);
    if (st.follow_up_level < rules::urgency::urgent && t.ask_follow_up(s, false)) return;
    const transition* n = t.follow_up_done(s);
    if (n) return t.run_from(n->target);
    t.fail();
}

void on_patient_said(turn& t, const patient_said& e, std::chrono::system_clock::time_point now) {
    auto& st = t.out().state;
    if (st.ended) return;  // the server answers conversation_ended; nothing to say or change
    ++st.turns;
    st.highest_urgency = std::max(st.highest_urgency, e.assessment.level);
    const auto& clarify = t.definition().clarify;
    // An unsure guess is not acted on: no intent interrupt, no choice picked by intent alone.
    const bool unsure = clarify.below > 0 && e.intent.confidence < clarify.below;
    const std::string_view intent = unsure ? std::string_view{} : std::string_view{e.intent.intent};
    t.set_message(intent, e.assessment.level);
    t.set_assessment(&e.assessment);

    auto lang = language_request(e.text);
    if (lang) {
        st.lang = supported_language(t.definition(), *lang, st.lang);
        st.language_chosen = true;
    } else if (!st.language_chosen && switches_language(e, st)) {
        // Written in the other language: the conversation, and the safety instruction, follow.
        st.lang = supported_language(t.definition(), e.language, st.lang);
    }

    if (e.assessment.evaluation_failed) {
        // Urgency is unknown, so no condition on it can be trusted: a person takes over.
        t.act(action_kind::escalate, "evaluation_failed");
        return t.run_from(t.definition().fallback_state, true);
    }
    const flow_state* cur = t.definition().find(st.current_state);
    if (!cur) return t.fail();
    const flow_state expanded = with_offers(*cur, st.offers);
    if (cur->offers) cur = &expanded;

    std::optional<std::string> answer = interpret_answer(*cur, e.text, intent, now);
    // A reply that plainly answers the question ("tomorrow" to a date, a tapped option) is that
    // answer, whatever a classifier makes of it: intent interrupts ("goodbye", "a person") are
    // for messages that do not answer. Urgency interrupts always apply.
    // Except a request for a person in a longer message ("no me entiende esta cosa, quiero hablar
    // con alguien" read as "no" at the consent question ended the chat): the person wins.
    const bool asks_for_person = cur->input == input_kind::yes_no && intent == "speak_to_human" &&
                                 !is_bare_yes_no(e.text) && words_back_intent(intent, e.text);
    const bool answered = answer && cur->input != input_kind::free_text && !asks_for_person &&
                          interpret_answer(*cur, e.text, std::string_view{}, now).has_value();
    // At a free-text question a leaving or person-asking intent must be in the words too: a name
    // the classifier read as "goodbye" is the name (docs/flows.md, "Understanding").
    const bool intent_may_interrupt =
        !answered && (cur->input != input_kind::free_text || words_back_intent(intent, e.text));
    if (!intent_may_interrupt) t.set_message(std::string_view{}, e.assessment.level);
    if (const transition* i = first_match(t.definition().interrupts, t.context(answer ? &*answer : nullptr))) {
        // The question the interrupt left unanswered is where `to: back` returns.
        if (cur->input != input_kind::none) st.stuck_at = cur->id;
        return t.run_from(i->target);
    }
    if (!intent_may_interrupt && !answered) t.set_message(intent, e.assessment.level);
    if (cur->input == input_kind::follow_up)
        return on_follow_up_answer(t, *cur, e, lang && text::words(text::fold(e.text)).size() <= 3, now);
    if (answered) t.set_message(intent, e.assessment.level);
    if (!cur->call.empty()) {
        // The call this state asked for never finished (the server stopped during it): ask again.
        t.out().call = cur->call;
        return;
    }
    // "español": the same question again, in the new language. A free-text state would otherwise
    // take the word itself as the answer.
    if (lang && (!answer || cur->input == input_kind::free_text)) return t.say(*cur);

    if (cur->input == input_kind::none) {
        // Only a state saved by an older version of the flow can wait here; carry on from it.
        const transition* n = first_match(cur->next, t.context(nullptr));
        return n ? t.run_from(n->target) : t.fail();
    }
    // "Yes, I need to book a visit": the yes answers the question, the request is carried on. A
    // bare "yes" (a button tap) carries nothing, whatever a classifier made of the one word.
    if (answer && *answer == "yes" && cur->input == input_kind::yes_no && carryable(intent) &&
        !is_bare_yes_no(e.text) && text::words(text::fold(e.text)).size() >= 3 && t.option_anywhere(intent))
        t.carry(intent);
    if (answer) {
        std::optional<std::string> previous;
        if (!cur->slot.empty()) {
            if (auto it = st.slots.find(cur->slot); it != st.slots.end()) previous = it->second;
            st.slots[cur->slot] = *answer;
        }
        if (const transition* n = first_match(cur->next, t.context(&*answer))) return t.run_from(n->target);
        // No transition wants this answer: undo it and ask again like any other unreadable reply.
        if (!cur->slot.empty()) {
            if (previous) st.slots[cur->slot] = *previous;
            else st.slots.erase(cur->slot);
        }
    }
    const bool ask = !answer && unsure && cur->input == input_kind::choice && e.assessment.level < rules::urgency::urgent;
    const auto candidates = ask ? clarify_candidates(*cur, e.intent) : std::vector<const choice_option*>{};
    // A request where a yes or no was asked ("I want to book a visit" at the consent question):
    // acknowledged, asked once more, and carried to the menu (docs/flows.md, "Understanding").
    const choice_option* request = nullptr;
    if (cur->input == input_kind::yes_no && carryable(intent)) request = t.option_anywhere(intent);
    // What the patient came for stays carried: a later side question ("also, do you take Blue
    // Cross?") does not replace it.
    if (request && st.carried_intent.empty()) t.carry(intent);
    if (request && st.carried_intent != intent)
        if (const choice_option* first = t.option_anywhere(st.carried_intent)) request = first;
    // A date, only not one this question takes (a birth date at "which day?"): understood, so
    // not a miss; the patient is told why.
    if (date_refusal(*cur, e.text, now)) return t.reprompt(*cur, e.text, now);
    if (++st.retries >= max_retries) {
        // Not understood twice: offer a person and a way back; the conversation stays open.
        const auto& f = t.definition();
        if (f.misunderstood_state.empty()) return t.offer_person(*cur);
        st.stuck_at = cur->id;
        return t.run_from(f.misunderstood_state);
    }
    if (!candidates.empty()) return t.ask_which(*cur, candidates);
    if (request) return t.reprompt_carrying(*cur, *request);
    t.reprompt(*cur, e.text, now);
}

// "I need a refill and my chest hurts": the urgent part is handled now; the other request is
// noted (for staff, and said back to the patient) rather than lost.
void note_other_request(turn& t, const patient_said& e) {
    constexpr double min_confidence = 0.15;
    if (e.assessment.level < rules::urgency::urgent) return;
    auto not_admin = [](std::string_view i) {
        return i == "symptom_report" || i == "other" || i == "greeting" || i == "goodbye" || i == "speak_to_human";
    };
    std::string noted;
    if (!not_admin(e.intent.intent) && e.intent.confidence >= min_confidence) noted = e.intent.intent;
    for (const auto& a : e.intent.alternatives)
        if (noted.empty() && !not_admin(a.intent) && a.confidence >= min_confidence) noted = a.intent;
    if (noted.empty()) return;
    t.out().noted_intent = noted;
    const auto& f = t.definition();
    if (f.clarify.noted.empty()) return;
    for (const auto& s : f.states) {
        for (const auto& c : s.choices) {
            if (std::find(c.intents.begin(), c.intents.end(), noted) == c.intents.end()) continue;
            std::string text = t.substitute(t.pick(f.clarify.noted));
            if (auto at = text.find("{request}"); at != std::string::npos) text.replace(at, 9, t.substitute(t.pick(c.label)));
            auto& replies = t.out().replies;
            replies.insert(replies.empty() ? replies.end() : replies.begin() + 1, bot_reply{text, {}, t.out().state.current_state});
            return;
        }
    }
}

// Rule advice (a crisis line, say) goes right after the first reply, which for a red flag is the
// safety instruction, so the two are read together.
void add_advice(turn& t, const rules::assessment& a) {
    const auto& lines = t.out().state.lang == "es" && !a.advice_es.empty() ? a.advice_es : a.advice_en;
    if (lines.empty()) return;
    auto& replies = t.out().replies;
    auto pos = replies.empty() ? replies.end() : replies.begin() + 1;
    for (const auto& line : lines) {
        pos = replies.insert(pos, bot_reply{line, {}, t.out().state.current_state});
        ++pos;
    }
}

}  // namespace

bool can_resume_at(const flow_state& s) { return s.input != input_kind::none && !s.close && s.call.empty(); }

step advance(const flow& f, const conversation_state& state, const event& e, std::chrono::system_clock::time_point now) {
    try {
        turn t(f, state);
        if (auto* started = std::get_if<conversation_started>(&e)) {
            on_started(t, *started);
        } else if (auto* said = std::get_if<patient_said>(&e); said && !state.ended) {
            on_patient_said(t, *said, now);
            // The rules asked for a person even if the flow's interrupts did not route there.
            if (said->assessment.escalate && !t.has_action(action_kind::escalate)) t.act(action_kind::escalate, "red_flag");
            note_other_request(t, *said);
            add_advice(t, said->assessment);
        } else if (auto* done = std::get_if<call_finished>(&e)) {
            on_call_finished(t, *done);
        } else if (auto* back = std::get_if<handed_back>(&e)) {
            on_handed_back(t, *back);
        }
        return std::move(t.out());
    } catch (...) {
    }
    // Anything thrown above (a flow built in code with broken invariants, allocation failure):
    // the same answer as an unknown state, built as simply as possible.
    try {
        turn t(f, state);
        if (auto* said = std::get_if<patient_said>(&e); said && !state.ended) {
            ++t.out().state.turns;
            t.out().state.highest_urgency = std::max(state.highest_urgency, said->assessment.level);
        }
        t.act(action_kind::escalate, "internal_error");
        t.last_resort();
        return std::move(t.out());
    } catch (...) {
        return step{};
    }
}

}  // namespace triage::dialog
