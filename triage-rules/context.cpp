#include "triage-rules/context.hpp"

#include <algorithm>
#include <array>

namespace triage::rules::detail {

namespace {

constexpr std::size_t forward_window = 8;
constexpr std::size_t backward_window = 8;
constexpr std::size_t other_person_window = 14;

std::uint8_t flag_of(std::string_view kind) {
    if (kind == "historical") return ctx_historical;
    if (kind == "hypothetical") return ctx_hypothetical;
    if (kind == "family_history") return ctx_family_history;
    if (kind == "other_person") return ctx_other_person;
    if (kind == "harmless") return ctx_harmless;
    if (kind == "not_a_person") return ctx_not_a_person;
    if (kind == "frame") return ctx_hypothetical;
    return 0;
}

bool is_time_unit(std::string_view w) {
    constexpr std::array units{"year", "years", "yr", "yrs", "month", "months", "week", "weeks", "decade",
                               "decades"};
    return std::find(units.begin(), units.end(), w) != units.end();
}

bool is_spanish_time_unit(std::string_view w) {
    constexpr std::array units{"ano", "anos", "mes", "meses", "semana", "semanas", "decada", "decadas"};
    return std::find(units.begin(), units.end(), w) != units.end();
}

// Words that put a person in a clause: "my dog bit me", "the dog knocked him over", "el gato
// arañó a mi bebé". An animal's possessor ("my daughter's doll") is not one of them.
bool names_a_person(std::string_view w) {
    constexpr std::array people{"i", "im", "ive", "id", "me", "myself", "he", "hes", "she", "shes", "him", "himself",
                                "herself", "they", "theyre", "them", "we", "us", "baby", "son", "daughter", "kid",
                                "child", "toddler", "boy", "girl", "husband", "wife", "mom", "mum", "dad", "mother",
                                "father", "grandma", "grandpa", "brother", "sister", "friend", "partner", "yo",
                                "ella", "bebe", "hijo", "hija", "nino", "nina", "esposo", "esposa", "marido", "mama",
                                "papa", "abuela", "abuelo", "hermano", "hermana", "nene", "nena", "uncle", "aunt",
                                "cousin", "nephew", "niece", "grandson", "granddaughter", "man", "woman", "lady",
                                "guy", "patient", "tio", "tia", "primo", "prima", "sobrino", "sobrina", "nieto",
                                "nieta", "senor", "senora"};
    return std::find(people.begin(), people.end(), w) != people.end();
}

// Words after which a sentence stops being what its frame said: a turn ("writing a story, but
// seriously I can't breathe") or the writer and their own people ("for my homework I need help,
// my mom collapsed"); fiction and exam questions are about someone, a man, a 20-year-old.
// (Not "yo": in "a 20 yo" it is an age, and Spanish leaves the subject out.)
bool ends_the_frame(std::string_view w) {
    constexpr std::array words{"but", "however", "seriously", "actually", "although", "though", "pero", "aunque",
                               "ahora", "now", "i", "im", "ive", "id", "me", "my", "we", "our", "us", "mi",
                               "mis", "nuestro", "nuestra", "nosotros"};
    return std::find(words.begin(), words.end(), w) != words.end();
}

bool all_digits(std::string_view w) {
    return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_past_year(std::string_view w) {
    return w.size() == 4 && (w.starts_with("19") || w.starts_with("20")) && all_digits(w);
}

struct found {
    std::size_t begin = 0;
    std::size_t end = 0;  // one past the last word
    std::uint8_t flag = 0;
    reach direction = reach::forward;
    bool whole_sentence = false;
};

// "5 years ago", "a year ago", "hace 5 años", "hace un año", "in 2019", "en 2019".
bool time_expression(const std::vector<std::string_view>& words, std::size_t i, found& out) {
    const std::size_t n = words.size();
    if (words[i] == "ago" && i > 0 && is_time_unit(words[i - 1])) {
        out = {i - 1, i + 1, ctx_historical, reach::both};
        return true;
    }
    // "desde hace una semana" and "hace dos días que ..." give how long something has gone on, which
    // is the opposite of history: the complaint is current.
    if (words[i] == "hace" && !(i > 0 && words[i - 1] == "desde")) {
        for (std::size_t k = i + 1; k < n && k <= i + 2; ++k) {
            if (is_spanish_time_unit(words[k])) {
                if (k + 1 < n && words[k + 1] == "que") break;
                out = {i, k + 1, ctx_historical, reach::both};
                return true;
            }
        }
    }
    // An age in the past: "a febrile seizure when he was 2", "cuando tenía 5 años".
    auto is_age = [](std::string_view w) {
        constexpr std::array ages{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                                  "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                                  "eighteen", "nineteen", "twenty", "un", "uno", "dos", "tres", "cuatro", "cinco",
                                  "seis", "siete", "ocho", "nueve", "diez", "once", "doce", "trece", "catorce", "quince"};
        return (w.size() <= 2 && all_digits(w)) || std::find(ages.begin(), ages.end(), w) != ages.end();
    };
    if (words[i] == "when" && i + 3 < n && (words[i + 2] == "was" || words[i + 2] == "were") && is_age(words[i + 3])) {
        out = {i, i + 4, ctx_historical, reach::both};
        return true;
    }
    if (words[i] == "cuando" && i + 2 < n && (words[i + 1] == "tenia" || words[i + 1] == "tenias") && is_age(words[i + 2])) {
        out = {i, i + 3, ctx_historical, reach::both};
        return true;
    }
    if ((words[i] == "in" || words[i] == "en" || words[i] == "back") && i + 1 < n && is_past_year(words[i + 1])) {
        out = {i, i + 2, ctx_historical, reach::both};
        return true;
    }
    return false;
}


}  // namespace

std::vector<std::string_view> context_modifier_names(std::uint8_t flags) {
    std::vector<std::string_view> out;
    if (flags & ctx_historical) out.emplace_back("historical");
    if (flags & ctx_hypothetical) out.emplace_back("hypothetical");
    if (flags & ctx_family_history) out.emplace_back("family_history");
    if (flags & ctx_other_person) out.emplace_back("other_person");
    if (flags & ctx_recurrence) out.emplace_back("recurrence");
    if (flags & ctx_harmless) out.emplace_back("harmless_phrase");
    if (flags & ctx_not_a_person) out.emplace_back("not_a_person");
    return out;
}

context_scope::context_scope(const std::vector<rule_pack>& packs, word_table& table)
    : affirming_(table, false), triggers_(table, false), pseudo_(table, false), recurrence_(table, false),
      actuality_(table, false) {
    for (const auto& pack : packs) {
        for (const auto& [kind, by_language] : pack.context) {
            for (const auto& [lang, cues] : by_language) {
                for (const auto& cue : cues) add(kind, cue);
            }
        }
    }
}

void context_scope::add(std::string_view kind, std::string_view cue) {
    trigger t;
    if (kind == "harmless") t.direction = reach::self;
    if (kind == "not_a_person") t.direction = reach::both;
    if (kind == "frame") t.whole_sentence = true;  // forward to the end of its sentence (analyse)
    for (auto [marker, direction] : {std::pair{std::string_view{"<> "}, reach::both},
                                     std::pair{std::string_view{"< "}, reach::backward},
                                     std::pair{std::string_view{"> "}, reach::forward}}) {
        if (cue.starts_with(marker)) {
            t.direction = direction;
            cue.remove_prefix(marker.size());
            break;
        }
    }
    if (cue.starts_with("^ ")) {
        t.clause_start = true;
        cue.remove_prefix(2);
    }
    if (kind == "pseudo") {
        pseudo_.add(cue, 0);
    } else if (kind == "recurrence") {
        recurrence_.add(cue, 0);
    } else if (kind == "actuality") {
        actuality_.add(cue, 0);
    } else if (kind == "affirming") {
        affirming_.add(cue, 0);
    } else if (auto flag = flag_of(kind); flag != 0) {
        t.flag = flag;
        triggers_.add(cue, static_cast<std::uint32_t>(lexicon_.size()));
        lexicon_.push_back(t);
    }
}

std::vector<std::uint8_t> context_scope::analyse(const message_words& message,
                                                 const negation_scope::analysis& clauses) const {
    const auto& words = message.text;
    const std::size_t n = words.size();
    std::vector<std::uint8_t> flags(n, 0);
    if (n == 0) return flags;

    std::vector<found> list;
    // "Again" brings back what was said in its own part of the sentence, not the whole message:
    // "heart attack in 2019, prescriptions setting up again" is still history.
    std::vector<char> recurrence_in_segment(clauses.segment.back() + 1, 0);
    std::vector<char> actual_in_segment(clauses.segment.back() + 1, 0);
    std::vector<char> actual_in_sentence(clauses.sentence.back() + 1, 0);
    for (std::size_t i = 0; i < n;) {
        if (std::size_t p = pseudo_.longest_at(message, i); p > 0) {
            i += p;
            continue;
        }
        if (recurrence_.longest_at(message, i) > 0) recurrence_in_segment[clauses.segment[i]] = 1;
        if (actuality_.longest_at(message, i) > 0) {
            actual_in_segment[clauses.segment[i]] = 1;
            actual_in_sentence[clauses.sentence[i]] = 1;
        }
        found f;
        if (time_expression(words, i, f)) {
            list.push_back(f);
            i = f.end;
            continue;
        }
        std::size_t best_len = 0;
        std::uint32_t best = 0;
        triggers_.match_at(message, i, [&](std::uint32_t id, std::size_t len) {
            if (len > best_len) {
                best_len = len;
                best = id;
            }
        });
        if (best_len == 0) {
            ++i;
            continue;
        }
        const trigger& t = lexicon_[best];
        if (t.clause_start && i > 0 && clauses.segment[i - 1] == clauses.segment[i]) {
            ++i;
            continue;
        }
        bool affirmed = false;
        if (t.flag == ctx_hypothetical) {
            for (std::size_t k = i >= 2 ? i - 2 : 0; k < i; ++k) {
                if (clauses.segment[k] == clauses.segment[i] && affirming_.longest_at(message, k) > 0) affirmed = true;
            }
        }
        if (!affirmed) list.push_back({i, i + best_len, t.flag, t.direction, t.whole_sentence});
        i += best_len;
    }

    for (const auto& f : list) {
        if (f.whole_sentence) {
            // "I'm writing a crime novel, how long after an overdose...": the frame holds past
            // commas to the end of its sentence, but not past a turn or the writer's own people
            // (ends_the_frame), and not when the sentence says "right now".
            const std::size_t sentence = clauses.sentence[f.begin];
            if (actual_in_sentence[sentence]) continue;
            for (std::size_t k = f.end; k < n && clauses.sentence[k] == sentence && !ends_the_frame(words[k]); ++k) {
                flags[k] |= f.flag;
            }
            continue;
        }
        if (f.flag == ctx_not_a_person) {
            // "kicked by a horse", "mordido por un perro": the animal did something to someone.
            if (f.begin > 0 && (words[f.begin - 1] == "by" || words[f.begin - 1] == "por" ||
                                words[f.begin - 1] == "from" || words[f.begin - 1] == "with")) {
                continue;
            }
            bool person = std::any_of(list.begin(), list.end(), [&](const found& o) {
                return o.flag == ctx_other_person && clauses.clause[o.begin] == clauses.clause[f.begin];
            });
            for (std::size_t k = 0; k < n && !person; ++k) {
                if (clauses.clause[k] != clauses.clause[f.begin] || (k >= f.begin && k < f.end) || k + 1 == f.begin) continue;
                // "what do we do", "what should I do": the writer asking, not a patient.
                const bool asking = k > 0 && (words[k] == "i" || words[k] == "we") &&
                                    (words[k - 1] == "do" || words[k - 1] == "should" || words[k - 1] == "can" ||
                                     words[k - 1] == "could" || words[k - 1] == "shall");
                person = !asking && names_a_person(words[k]);
            }
            if (person) continue;
        }
        // History and family history end at any clause ("history of asthma and I can't breathe"
        // fires); hypotheticals run on over "and" ("what if I get chest pain and can't breathe").
        const auto& scope = f.flag == ctx_hypothetical ? clauses.segment
                          : f.flag == ctx_other_person ? clauses.sentence
                                                       : clauses.clause;
        const std::size_t window = f.flag == ctx_other_person ? other_person_window : forward_window;
        if (f.flag == ctx_harmless) {
            for (std::size_t k = f.begin; k < f.end; ++k) flags[k] |= f.flag;
        }
        if (f.direction == reach::self) continue;
        if (f.direction != reach::backward) {
            for (std::size_t k = f.end; k < n && k < f.end + window && scope[k] == scope[f.begin]; ++k) {
                flags[k] |= f.flag;
            }
        }
        if (f.direction != reach::forward) {
            for (std::size_t k = f.begin; k-- > 0 && k + backward_window >= f.begin && scope[k] == scope[f.begin];) {
                flags[k] |= f.flag;
            }
        }
    }
    for (std::size_t k = 0; k < n; ++k) {
        if ((flags[k] & ctx_historical) && recurrence_in_segment[clauses.segment[k]]) {
            flags[k] = static_cast<std::uint8_t>((flags[k] & ~ctx_historical) | ctx_recurrence);
        }
        if ((flags[k] & ctx_hypothetical) && actual_in_segment[clauses.segment[k]]) {
            flags[k] = static_cast<std::uint8_t>(flags[k] & ~ctx_hypothetical);
        }
    }
    return flags;
}

}  // namespace triage::rules::detail
