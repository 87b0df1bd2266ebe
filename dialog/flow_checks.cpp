#include "dialog/flow_checks.hpp"

#include <map>
#include <set>
#include <string>

namespace triage::dialog::detail {

namespace {

bool unconditional(const condition& c) {
    return !c.intent && !c.urgency_at_least && !c.answer && !c.slot_equals && !c.outcome;
}

class checker {
public:
    checker(const flow& f, std::string_view file, std::vector<rules::diagnostic>& out)
        : f_(f), file_(file), out_(out) {}

    void error(int line, int column, std::string msg) {
        out_.push_back({std::string(file_), line, column, std::move(msg)});
    }
    void error(const flow_state& s, std::string msg) { error(s.line, s.column, std::move(msg)); }

    bool exists(const std::string& id) const { return f_.find(id) != nullptr; }
    bool is_back(const std::string& id) const { return id == back_target; }

    void check_targets(const flow_positions& at) {
        if (!f_.start.empty() && !exists(f_.start))
            error(at.start.line, at.start.column, "`start` names unknown state '" + f_.start + "'");
        if (!f_.fallback_state.empty() && !exists(f_.fallback_state))
            error(at.fallback.line, at.fallback.column, "`fallback` names unknown state '" + f_.fallback_state + "'");
        for (const auto& t : f_.interrupts)
            if (!exists(t.target)) error(t.line, t.column, "interrupt goes to unknown state '" + t.target + "'");
        if (!f_.misunderstood_state.empty() && !exists(f_.misunderstood_state))
            error(at.misunderstood.line, at.misunderstood.column,
                  "`misunderstood` names unknown state '" + f_.misunderstood_state + "'");
        for (const auto& s : f_.states)
            for (const auto& t : s.next)
                if (!exists(t.target) && !is_back(t.target))
                    error(t.line, t.column, "state '" + s.id + "': `next` goes to unknown state '" + t.target + "'");
    }

    // Issue 18: no conversation ends because an answer was not understood. The engine goes to
    // `misunderstood` after two misses; nothing it passes through on the way to the next question
    // may close the conversation.
    void check_misunderstanding(const flow_positions& at) {
        // Without `misunderstood` the engine offers a person itself and stays at the question.
        if (f_.misunderstood_state.empty()) return;
        const std::string& target = f_.misunderstood_state;
        const position& where = at.misunderstood;
        std::set<std::string> seen;
        std::vector<std::string> todo{target};
        while (!todo.empty()) {
            const flow_state* s = f_.find(todo.back());
            todo.pop_back();
            if (!s || !seen.insert(s->id).second) continue;
            if (s->close) {
                error(where.line, where.column,
                      "a misunderstood answer would end the conversation (at state '" + s->id +
                          "'): set `misunderstood` to a state that offers a person and a way back (`to: back`)");
                return;
            }
            if (s->input == input_kind::none && s->call.empty())
                for (const auto& t : s->next) todo.push_back(t.target);
        }
    }

    void check_reachable() {
        // Interrupts and fallback can fire from any state, so their targets are roots too.
        std::set<std::string> seen;
        std::vector<std::string> todo;
        auto push = [&](const std::string& id) {
            if (exists(id) && seen.insert(id).second) todo.push_back(id);
        };
        push(f_.start);
        push(f_.fallback_state);
        push(f_.misunderstood_state);
        for (const auto& t : f_.interrupts) push(t.target);
        while (!todo.empty()) {
            const flow_state* s = f_.find(todo.back());
            todo.pop_back();
            for (const auto& t : s->next) push(t.target);
        }
        for (const auto& s : f_.states)
            if (!seen.count(s.id))
                error(s, "state '" + s.id + "' cannot be reached from `start`, an interrupt, `fallback` or `misunderstood`");
    }

    void check_progress() {
        for (const auto& s : f_.states) {
            for (std::size_t i = 0; i + 1 < s.next.size(); ++i)
                if (unconditional(s.next[i].when)) {
                    const auto& later = s.next[i + 1];
                    error(later.line, later.column, "state '" + s.id +
                          "': this transition is never used, an earlier one has no `if`");
                    break;
                }
            if (s.close) {
                if (!s.next.empty()) error(s, "state '" + s.id + "' has `close: true` and `next`; `next` would never be used");
                if (s.input != input_kind::none) error(s, "state '" + s.id + "' has `close: true` but waits for input");
                continue;
            }
            if (s.next.empty()) {
                error(s, s.input == input_kind::none
                             ? "state '" + s.id + "' is a dead end: no `input`, no `next` and no `close: true`"
                             : "state '" + s.id + "' is a dead end: it waits for input but has no `next`");
                continue;
            }
            if (s.input == input_kind::none && !unconditional(s.next.back().when))
                error(s, "state '" + s.id + "' can get stuck: it has no input and every `next` has an `if`; "
                         "end `next` with a transition without `if`");
        }
    }

    // Input-less states are followed within one step; a loop among them would spin until the step
    // budget runs out (Rasa guards the same way: no cycle without a `collect`).
    void check_loops() {
        std::map<std::string, int> colour;  // 0 unseen, 1 on the path, 2 done
        std::set<std::string> reported;
        std::vector<std::string> path;
        for (const auto& s : f_.states) visit(s, colour, path, reported);
    }

private:
    // A call state waits for the call's outcome, like input, so it ends a step.
    static bool passes_through(const flow_state& s) { return s.input == input_kind::none && !s.close && s.call.empty(); }

    void visit(const flow_state& s, std::map<std::string, int>& colour, std::vector<std::string>& path,
               std::set<std::string>& reported) {
        if (!passes_through(s) || colour[s.id] == 2) return;
        if (colour[s.id] == 1) {
            std::string loop;
            bool in = false;
            for (const auto& id : path) {
                if (id == s.id) in = true;
                if (in) loop += id + " -> ";
            }
            if (reported.insert(s.id).second)
                error(s, "states " + loop + s.id + " form a loop without input");
            return;
        }
        colour[s.id] = 1;
        path.push_back(s.id);
        for (const auto& t : s.next)
            if (const flow_state* n = f_.find(t.target)) visit(*n, colour, path, reported);
        path.pop_back();
        colour[s.id] = 2;
    }

    const flow& f_;
    std::string_view file_;
    std::vector<rules::diagnostic>& out_;
};

}  // namespace

void check_graph(const flow& f, const flow_positions& at, std::string_view file, std::vector<rules::diagnostic>& out) {
    checker c(f, file, out);
    c.check_targets(at);
    c.check_misunderstanding(at);
    c.check_reachable();
    c.check_progress();
    c.check_loops();
}

}  // namespace triage::dialog::detail
