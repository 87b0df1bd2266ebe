#include "dialog/flow_loader.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace triage::dialog {
namespace {

// A small valid flow. Tests break one line of it and expect the diagnostic at that line; the
// line numbers in the comments below are the ones the assertions use.
const std::string base_flow = R"(flow: t
version: "1"
languages: [en, es]
start: ask
fallback: human
vars: { phone: "555" }
interrupts:
  - if: { intent: speak_to_human }
    to: human
states:
  ask:
    say: { en: "Continue?", es: "¿Seguir?" }
    input: yes_no
    slot: consent
    next:
      - if: { answer: "yes" }
        to: done
      - to: human
  done:
    say: { en: "Bye. Call {phone}.", es: "Adiós. Llame al {phone}." }
    close: true
  human:
    say: { en: "A person will help.", es: "Una persona le ayudará." }
    actions: [ { handoff: patient_request } ]
    close: true
)";

// Replaces line `n` (1-based) of `text`.
std::string with_line(const std::string& text, int n, const std::string& replacement) {
    std::istringstream in(text);
    std::string out, line;
    for (int i = 1; std::getline(in, line); ++i) out += (i == n ? replacement : line) + "\n";
    return out;
}

std::string dump(const flow_load_result& r) {
    std::string s;
    for (const auto& d : r.diagnostics) s += rules::to_string(d) + "\n";
    return s;
}

// True when a diagnostic at exactly line:column contains `text`.
::testing::AssertionResult has_diagnostic(const flow_load_result& r, int line, int column, const std::string& text) {
    if (r.loaded) return ::testing::AssertionFailure() << "the flow loaded";
    for (const auto& d : r.diagnostics)
        if (d.line == line && d.column == column && d.message.find(text) != std::string::npos && d.file == "t.yaml")
            return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "no " << line << ":" << column << " '" << text << "' in:\n" << dump(r);
}

flow_load_result load(const std::string& text) { return load_flow(text, "t.yaml"); }

TEST(FlowLoader, AcceptsTheBaseFlow) {
    auto r = load(base_flow);
    ASSERT_TRUE(r.loaded) << dump(r);
    EXPECT_TRUE(r.diagnostics.empty());
    const flow& f = *r.loaded;
    EXPECT_EQ(f.id, "t");
    EXPECT_EQ(f.version, "1");
    EXPECT_EQ(f.languages, (std::vector<std::string>{"en", "es"}));
    EXPECT_EQ(f.start, "ask");
    EXPECT_EQ(f.fallback_state, "human");
    EXPECT_EQ(f.vars.at("phone"), "555");
    ASSERT_EQ(f.interrupts.size(), 1u);
    EXPECT_EQ(f.interrupts[0].when.intent, "speak_to_human");
    ASSERT_EQ(f.states.size(), 3u);
    const flow_state* ask = f.find("ask");
    ASSERT_NE(ask, nullptr);
    EXPECT_EQ(ask->line, 11);
    EXPECT_EQ(ask->column, 3);
    EXPECT_EQ(ask->input, input_kind::yes_no);
    EXPECT_EQ(ask->slot, "consent");
    EXPECT_EQ(ask->say.at("es"), "¿Seguir?");
    ASSERT_EQ(ask->next.size(), 2u);
    EXPECT_EQ(ask->next[0].when.answer, "yes");
    EXPECT_EQ(ask->next[0].target, "done");
    EXPECT_EQ(ask->next[0].line, 17);
    EXPECT_EQ(ask->next[0].column, 13);
    EXPECT_FALSE(ask->next[1].when.answer.has_value());
    const flow_state* human = f.find("human");
    ASSERT_EQ(human->actions.size(), 1u);
    EXPECT_EQ(human->actions[0].kind, action_kind::handoff);
    EXPECT_EQ(human->actions[0].reason, "patient_request");
    EXPECT_TRUE(human->close);
    EXPECT_EQ(f.find("nope"), nullptr);
}

TEST(FlowLoader, AcceptsTheDefaultFlow) {
    auto r = load_flow(testing::read_source_file("dialog/flows/default.yaml"), "default.yaml");
    ASSERT_TRUE(r.loaded) << dump(r);
    const flow& f = *r.loaded;
    EXPECT_EQ(f.id, "default");
    EXPECT_EQ(f.start, "welcome");
    EXPECT_EQ(f.fallback_state, "handoff");
    ASSERT_EQ(f.interrupts.size(), 3u);
    EXPECT_EQ(f.interrupts[0].when.urgency_at_least, rules::urgency::emergency);
    EXPECT_EQ(f.interrupts[0].target, "emergency");
    EXPECT_EQ(f.interrupts[1].when.intent, "speak_to_human");
    EXPECT_EQ(f.interrupts[1].target, "handoff");
    for (const char* id : {"welcome", "reason", "symptoms_describe", "triage_route", "symptom_questions", "emergency", "after_emergency",
                           "urgent_phone", "routine_offer", "self_care_advice", "booking_type", "booking_date",
                           "booking_phone", "booking_confirm", "refill_medication", "results_phone", "billing_info",
                           "hours_info", "anything_else", "goodbye", "handoff"})
        EXPECT_NE(f.find(id), nullptr) << id;
    for (const auto& s : f.states)
        EXPECT_TRUE(s.say.empty() || s.say.size() == 2u) << s.id;
    EXPECT_EQ(f.find("reason")->choices.size(), 8u);
}

TEST(FlowLoader, AcceptsTheExampleInTheDocs) {
    std::string doc = testing::read_source_file("docs/flows.md");
    auto begin = doc.find("```yaml\n");
    ASSERT_NE(begin, std::string::npos);
    begin += 8;
    auto end = doc.find("```", begin);
    auto r = load_flow(doc.substr(begin, end - begin), "docs/flows.md");
    ASSERT_TRUE(r.loaded) << dump(r);
    EXPECT_EQ(r.loaded->id, "demo");
    EXPECT_EQ(r.loaded->states.size(), 6u);
}

TEST(FlowLoader, UnknownTargetInNext) {
    auto r = load(with_line(base_flow, 18, "      - to: humna"));
    EXPECT_TRUE(has_diagnostic(r, 18, 13, "unknown state 'humna'"));
    EXPECT_EQ(r.diagnostics.size(), 1u) << dump(r);
}

TEST(FlowLoader, UnknownTargetInInterrupt) {
    auto r = load(with_line(base_flow, 9, "    to: nobody"));
    EXPECT_TRUE(has_diagnostic(r, 9, 9, "interrupt goes to unknown state 'nobody'"));
}

TEST(FlowLoader, UnknownStartAndFallback) {
    auto r = load(with_line(with_line(base_flow, 4, "start: asq"), 5, "fallback: nobody"));
    EXPECT_TRUE(has_diagnostic(r, 4, 8, "`start` names unknown state 'asq'"));
    EXPECT_TRUE(has_diagnostic(r, 5, 11, "`fallback` names unknown state 'nobody'"));
    EXPECT_TRUE(has_diagnostic(r, 11, 3, "state 'ask' cannot be reached"));
}

TEST(FlowLoader, UnreachableState) {
    auto r = load(base_flow + "  orphan:\n    say: { en: \"x\", es: \"y\" }\n    close: true\n");
    EXPECT_TRUE(has_diagnostic(r, 26, 3, "state 'orphan' cannot be reached from `start`, an interrupt, `fallback` or `misunderstood`"));
    EXPECT_EQ(r.diagnostics.size(), 1u) << dump(r);
}

TEST(FlowLoader, InterruptTargetsAndFallbackAreReachable) {
    // `human` is only reachable through the interrupt and the fallback once `ask` stops naming it.
    auto r = load(with_line(base_flow, 18, "      - to: done"));
    EXPECT_TRUE(r.loaded) << dump(r);
}

TEST(FlowLoader, MissingTranslation) {
    auto r = load(with_line(base_flow, 23, "    say: { en: \"A person will help.\" }"));
    EXPECT_TRUE(has_diagnostic(r, 23, 10, "state 'human': `say` has no 'es' translation"));
    EXPECT_EQ(r.diagnostics.size(), 1u) << dump(r);
}

TEST(FlowLoader, TranslationInAnUndeclaredLanguage) {
    auto r = load(with_line(base_flow, 23, "    say: { en: \"A\", es: \"B\", fr: \"C\" }"));
    EXPECT_TRUE(has_diagnostic(r, 23, 30, "language 'fr' is not in `languages`"));
}

TEST(FlowLoader, DeadEndWithoutInput) {
    auto r = load(with_line(base_flow, 21, "    close: false"));
    EXPECT_TRUE(has_diagnostic(r, 19, 3, "state 'done' is a dead end: no `input`, no `next` and no `close: true`"));
    EXPECT_EQ(r.diagnostics.size(), 1u) << dump(r);
}

TEST(FlowLoader, DeadEndWaitingForInput) {
    auto r = load(with_line(base_flow, 21, "    input: free_text"));
    EXPECT_TRUE(has_diagnostic(r, 19, 3, "state 'done' is a dead end: it waits for input but has no `next`"));
}

TEST(FlowLoader, InputLessStateThatCanGetStuck) {
    auto r = load(with_line(base_flow, 21, "    next: [ { if: { intent: greeting }, to: human } ]"));
    EXPECT_TRUE(has_diagnostic(r, 19, 3, "state 'done' can get stuck"));
}

TEST(FlowLoader, LoopWithoutInput) {
    auto r = load(with_line(base_flow, 21, "    next: [ { to: done } ]"));
    EXPECT_TRUE(has_diagnostic(r, 19, 3, "states done -> done form a loop without input"));
}

TEST(FlowLoader, TransitionAfterAnUnconditionalOne) {
    auto r = load(with_line(base_flow, 16, "      - to: human"));
    // Line 16 now reads "- to: human" and line 17 "  to: done": yaml-cpp sees a duplicate `to`.
    EXPECT_TRUE(has_diagnostic(r, 17, 9, "duplicate key 'to'"));
    auto r2 = load(with_line(with_line(base_flow, 16, "      - to: human"), 17, "      - to: done"));
    EXPECT_TRUE(has_diagnostic(r2, 17, 13, "this transition is never used, an earlier one has no `if`"));
}

TEST(FlowLoader, DuplicateStateId) {
    auto r = load(base_flow + "  ask:\n    say: { en: \"x\", es: \"y\" }\n    close: true\n");
    EXPECT_TRUE(has_diagnostic(r, 26, 3, "duplicate state id 'ask' in `states` (first at line 11)"));
    EXPECT_EQ(r.diagnostics.size(), 1u) << dump(r);
}

TEST(FlowLoader, AMisunderstoodStateThatEndsTheConversationIsRefused) {
    // Issue 18: two answers not understood must never end the conversation.
    auto r = load(base_flow + "misunderstood: human\n");
    EXPECT_TRUE(has_diagnostic(r, 26, 16, "a misunderstood answer would end the conversation (at state 'human')"));
    auto unknown = load(base_flow + "misunderstood: nowhere\n");
    EXPECT_TRUE(has_diagnostic(unknown, 26, 16, "`misunderstood` names unknown state 'nowhere'"));
    // A state that offers a person and a way back is accepted, `to: back` included.
    auto ok = load(with_line(base_flow, 5, "fallback: human\nmisunderstood: offer") + R"(  offer:
    say: { en: "A person, or try again?", es: "¿Una persona, o otra vez?" }
    input: yes_no
    next:
      - if: { answer: "yes" }
        to: human
      - to: back
)");
    EXPECT_TRUE(ok.loaded) << dump(ok);
    auto reserved = load(base_flow + "  back:\n    say: { en: \"x\", es: \"x\" }\n    close: true\n");
    EXPECT_FALSE(reserved.loaded);
}

TEST(FlowLoader, DuplicateTopLevelKey) {
    auto r = load(base_flow + "start: done\n");
    EXPECT_TRUE(has_diagnostic(r, 26, 1, "duplicate key 'start' in the flow (first at line 4)"));
}

TEST(FlowLoader, UnknownKeys) {
    auto r = load(with_line(base_flow, 21, "    clsoe: true"));
    EXPECT_TRUE(has_diagnostic(r, 21, 5, "unknown key 'clsoe' in state 'done'; expected one of: say, reprompt, input, slot"));
    EXPECT_EQ(r.diagnostics.size(), 1u) << dump(r);
    auto top = load(with_line(base_flow, 6, "varz: { phone: \"555\" }"));
    EXPECT_TRUE(has_diagnostic(top, 6, 1, "unknown key 'varz' in the flow"));
    auto cond = load(with_line(base_flow, 8, "  - if: { intnet: speak_to_human }"));
    EXPECT_TRUE(has_diagnostic(cond, 8, 11, "unknown key 'intnet' in `interrupts`: `if`"));
}

TEST(FlowLoader, InvalidYamlIsADiagnostic) {
    auto r = load(with_line(base_flow, 12, "    say: { en: \"Continue?\", es: \"¿Seguir?\""));
    ASSERT_FALSE(r.loaded);
    ASSERT_EQ(r.diagnostics.size(), 1u) << dump(r);
    EXPECT_EQ(r.diagnostics[0].file, "t.yaml");
    EXPECT_EQ(r.diagnostics[0].line, 13);  // where the parser finds the map was not closed
    EXPECT_NE(r.diagnostics[0].message.find("invalid YAML"), std::string::npos);
}

TEST(FlowLoader, WrongTypes) {
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 21, "    close: maybe")), 21, 12, "`close` must be true or false"));
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 23, "    say: \"A person\"")), 23, 10, "`say` must be a map"));
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 21, "    next: human")), 21, 11, "`next` must be a list"));
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 3, "languages: en")), 3, 12, "`languages` must be a list"));
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 14, "    slot: [a, b]")), 14, 11, "`slot` must be a string"));
    // A null value is reported at its key: yaml-cpp gives it the position of what follows.
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 23, "    say:")), 23, 5, "`say` must be a map"));
}

TEST(FlowLoader, InvalidNames) {
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 8, "  - if: { urgency_at_least: severe }")), 8, 29,
                               "`urgency_at_least` must be one of none, self_care, routine, urgent, emergency"));
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 13, "    input: maybe")), 13, 12,
                               "`input` must be one of none, free_text, choice, yes_no, date, phone"));
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 24, "    actions: [ { alert: patient_request } ]")), 24, 16,
                               "unknown action 'alert'"));
}

TEST(FlowLoader, ChoiceStateWithoutChoices) {
    auto r = load(with_line(base_flow, 13, "    input: choice"));
    EXPECT_TRUE(has_diagnostic(r, 11, 3, "state 'ask' has `input: choice` but no `choices`"));
}

TEST(FlowLoader, AnswerConditionsMustFitTheInput) {
    EXPECT_TRUE(has_diagnostic(load(with_line(base_flow, 16, "      - if: { answer: \"maybe\" }")), 16, 23,
                               "a yes_no answer is \"yes\" or \"no\", not 'maybe'"));
}

TEST(FlowLoader, PlaceholderNotInVars) {
    auto r = load(with_line(base_flow, 20, "    say: { en: \"Bye. Call {phnoe}.\", es: \"Adiós. Llame al {phone}.\" }"));
    EXPECT_TRUE(has_diagnostic(r, 20, 16, "placeholder {phnoe} is neither in `vars` nor a slot"));
    EXPECT_EQ(r.diagnostics.size(), 1u) << dump(r);
    // A slot name is a valid placeholder: the engine fills it with the patient's answer.
    EXPECT_TRUE(load(with_line(base_flow, 20, "    say: { en: \"Bye {consent}.\", es: \"Adiós.\" }")).loaded);
}

TEST(FlowLoader, SlotConditionOnAnUnknownSlot) {
    auto r = load(with_line(base_flow, 16, "      - if: { slot: { consnet: \"yes\" } }"));
    EXPECT_TRUE(has_diagnostic(r, 16, 23, "condition on slot 'consnet', which no state fills"));
}

// A state that asks the server to book: `done` becomes a call state (lines 19-21).
std::string with_call(const std::string& call_line, const std::string& next_line) {
    std::string t = with_line(base_flow, 20, call_line);
    return with_line(t, 21, next_line);
}

TEST(FlowLoader, CallStatesContinueOnTheirOutcomes) {
    auto r = load(with_call("    call: book_slot",
                            "    next: [ { if: { outcome: booked }, to: human }, { to: human } ]"));
    ASSERT_TRUE(r.loaded) << dump(r);
    const auto* done = r.loaded->find("done");
    EXPECT_EQ(done->call, "book_slot");
    EXPECT_EQ(done->next[0].when.outcome, "booked");
}

TEST(FlowLoader, UnknownCall) {
    auto r = load(with_call("    call: book_slots", "    next: [ { to: human } ]"));
    EXPECT_TRUE(has_diagnostic(r, 20, 11, "state 'done': unknown call 'book_slots'; expected one of: find_patient"));
}

TEST(FlowLoader, UnknownOutcomeOfACall) {
    auto r = load(with_call("    call: book_slot", "    next: [ { if: { outcome: found }, to: human }, { to: human } ]"));
    EXPECT_TRUE(has_diagnostic(r, 21, 30, "call 'book_slot' has no outcome 'found'; expected one of: booked, taken, unavailable"));
}

TEST(FlowLoader, OutcomeWithoutACall) {
    auto r = load(with_line(base_flow, 16, "      - if: { outcome: booked }"));
    EXPECT_TRUE(has_diagnostic(r, 16, 24, "`outcome` needs a state with a `call`"));
    auto i = load(with_line(base_flow, 8, "  - if: { outcome: booked }"));
    EXPECT_TRUE(has_diagnostic(i, 8, 20, "`outcome` is only for the `next` of a state with a `call`"));
}

TEST(FlowLoader, ACallStateNeedsAWayOnForEveryOutcome) {
    auto r = load(with_call("    call: book_slot", "    next: [ { if: { outcome: booked }, to: human } ]"));
    EXPECT_TRUE(has_diagnostic(r, 19, 3, "state 'done' can get stuck"));
}

TEST(FlowLoader, ACallStateDoesNotWaitForInput) {
    std::string t = with_call("    call: find_slots", "    next: [ { to: human } ]");
    t = with_line(t, 19, "  done:\n    input: free_text");
    auto r = load(t);
    EXPECT_FALSE(r.loaded);
    EXPECT_NE(dump(r).find("has a `call` and waits for input"), std::string::npos) << dump(r);
}

TEST(FlowLoader, OffersNeedAChoiceAndCountAsChoices) {
    auto bad = load(with_line(base_flow, 14, "    slot: consent\n    offers: true"));
    EXPECT_TRUE(has_diagnostic(bad, 11, 3, "state 'ask' has `offers` but its input is not `choice`"));
    // A choice list made only of what a call found is fine.
    std::string t = with_line(base_flow, 13, "    input: choice");
    t = with_line(t, 16, "      - if: { slot: { consent: \"x\" } }");
    t = with_line(t, 14, "    slot: consent\n    offers: true");
    EXPECT_TRUE(load(t).loaded) << dump(load(t));
}

TEST(FlowLoader, SlotsACallFillsAreKnownPlaceholders) {
    auto unknown = load(with_line(base_flow, 20, "    say: { en: \"At {appointment_when}.\", es: \"A {appointment_when}.\" }"));
    EXPECT_FALSE(unknown.loaded);
    std::string t = with_line(base_flow, 20, "    say: { en: \"At {appointment_when}.\", es: \"A {appointment_when}.\" }");
    t = with_line(t, 17, "        to: booking");
    t += "  booking:\n    call: book_slot\n    next: [ { to: done } ]\n";
    EXPECT_TRUE(load(t).loaded) << dump(load(t));
}

TEST(FlowLoader, MissingRequiredKey) {
    auto r = load(with_line(base_flow, 5, "# no fallback"));
    EXPECT_TRUE(has_diagnostic(r, 1, 1, "missing required key 'fallback'"));
}

TEST(FlowLoader, NotAMap) {
    EXPECT_TRUE(has_diagnostic(load(""), 1, 1, "a flow file must be a YAML map"));
    EXPECT_TRUE(has_diagnostic(load("- a\n- b\n"), 1, 1, "a flow file must be a YAML map"));
}

TEST(FlowLoader, NeverThrowsOnGarbage) {
    const std::string inputs[] = {
        "\t\t: : :", "{{{{", "states: 5", "states: [1, 2]", "states: {a: 1}", "flow: [x]\nstates: {a: {next: 3}}",
        std::string("\xff\xfe\x00\x01", 4), "*alias", "a: &x [*x]", "states:\n  a:\n    next: [ {to: [1]} ]\n",
        "states:\n  a:\n    choices: 1\n    input: choice\n", "interrupts: {x: 1}", "? [a]\n: b\n",
    };
    for (const auto& in : inputs) {
        flow_load_result r;
        EXPECT_NO_THROW(r = load(in)) << in;
        EXPECT_FALSE(r.loaded) << in;
        EXPECT_FALSE(r.diagnostics.empty()) << in;
    }
}

}  // namespace
}  // namespace triage::dialog

namespace triage::dialog {
namespace {

// base_flow with a `follow_up` block after `vars` (line 6) and the consent state turned into
// one that asks it.
std::string with_follow_up(const std::string& block) {
    return with_line(base_flow, 6, "vars: { phone: \"555\" }\nfollow_up:\n" + block);
}

bool mentions(const flow_load_result& r, int line, const std::string& text) {
    for (const auto& d : r.diagnostics)
        if (d.line == line && d.message.find(text) != std::string::npos) return true;
    return false;
}

TEST(FlowLoader, FollowUpQuestionsLoad) {
    const std::string yaml = with_follow_up(
        "  default:\n"
        "    - ask: { en: \"Worse?\", es: \"¿Peor?\" }\n"
        "      yes: urgent\n"
        "  headache:\n"
        "    - ask: { en: \"Sudden?\", es: \"¿De golpe?\" }\n"
        "      yes: emergency\n");
    auto r = load_flow(yaml, "t.yaml");
    ASSERT_TRUE(r.loaded) << dump(r);
    ASSERT_EQ(r.loaded->follow_up.size(), 2u);
    EXPECT_EQ(r.loaded->follow_up.at("headache")[0].yes, rules::urgency::emergency);
    EXPECT_EQ(r.loaded->follow_up.at("default")[0].ask.at("es"), "¿Peor?");
}

TEST(FlowLoader, FollowUpQuestionsAreChecked) {
    const std::string q = "    - ask: { en: \"Worse?\", es: \"¿Peor?\" }\n      yes: urgent\n";
    // Line 7 is `follow_up:`, line 8 the first topic, line 9 its first question.
    auto low = load_flow(with_follow_up("  default:\n    - ask: { en: \"Worse?\", es: \"¿Peor?\" }\n      yes: self_care\n"), "t.yaml");
    EXPECT_FALSE(low.loaded);
    EXPECT_TRUE(mentions(low, 10, "`yes` must be routine, urgent or emergency")) << dump(low);
    auto many = load_flow(with_follow_up("  default:\n" + q + q + q + q), "t.yaml");
    EXPECT_FALSE(many.loaded);
    EXPECT_TRUE(mentions(many, 9, "at most 3 questions")) << dump(many);
    auto no_yes = load_flow(with_follow_up("  default:\n    - ask: { en: \"Worse?\", es: \"¿Peor?\" }\n"), "t.yaml");
    EXPECT_FALSE(no_yes.loaded);
    EXPECT_TRUE(mentions(no_yes, 9, "needs `ask` and `yes`")) << dump(no_yes);
    auto empty = load_flow(with_follow_up("  default: []\n"), "t.yaml");
    EXPECT_FALSE(empty.loaded);
    EXPECT_TRUE(mentions(empty, 8, "must be a non-empty list of questions")) << dump(empty);
    auto bad_key = load_flow(with_follow_up("  default:\n    - ask: { en: \"Worse?\", es: \"¿Peor?\" }\n      yes: urgent\n      no: routine\n"), "t.yaml");
    EXPECT_FALSE(bad_key.loaded);
}

TEST(FlowLoader, AFollowUpStateHasNoSlot) {
    auto r = load_flow(with_line(base_flow, 13, "    input: follow_up"), "t.yaml");
    EXPECT_FALSE(r.loaded);
    EXPECT_TRUE(mentions(r, 11, "a follow_up state has no `slot`")) << dump(r);
}

}  // namespace
}  // namespace triage::dialog
