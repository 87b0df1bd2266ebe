#include "triage-rules/negation.hpp"

#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace triage::rules {

// "never" and "nunca" are deliberately not defaults: "I've never had chest pain like this" is how
// patients describe a new, severe symptom. "without"/"sin" are kept, with the double-negative
// guard below ("I can't walk without chest pain" is not a negation).
const std::vector<std::string>& default_negation_cues(std::string_view language) {
    static const std::vector<std::string> en{
        "no", "not", "without", "denies", "denied", "deny", "dont have", "do not have", "didnt have",
        "did not have", "doesnt have", "does not have", "havent had", "have not had", "hasnt had",
        "has not had", "havent got", "no sign of", "no signs of", "free of", "negative for", "nor"};
    static const std::vector<std::string> es{"no", "sin", "no tengo", "no he tenido", "niega", "ni", "tampoco",
                                             "ningun", "ninguna", "nada de"};
    static const std::vector<std::string> none;
    if (language == "en") return en;
    if (language == "es") return es;
    return none;
}

namespace detail {

namespace {

// Conjunctions that start a new clause.
constexpr std::array boundary_phrases{"but", "however", "although", "though", "except", "whereas", "and",
                                      "pero", "aunque", "sino", "sin embargo", "excepto", "salvo", "y"};

// Phrases that start with a cue word but do not negate what follows: "not sure if it's chest
// pain", "no aguanto el dolor de pecho" (I can't bear the chest pain).
constexpr std::array pseudo_phrases{
    "not sure", "not certain", "no idea", "not only", "not just", "no matter", "no doubt", "no way",
    "not getting better", "not going away", "not improving", "not stopping", "not helping", "no better",
    // "no se" is "I don't know" before what is not known, or a symptom that will not go ("no se me
    // quita"); "no se atraganto" did not choke.
    "no se si", "no se que", "no se como", "no se cuanto", "no se cuantos", "no se cuantas", "no se cuando",
    "no se donde", "no se por", "no se porque", "no se lo que", "no se quien", "no se cual", "no se nada",
    "no se bien", "no se exactamente", "no se me", "no se le", "no se te", "no se nos", "no se les", "no se pasa",
    "no se calma", "no se detiene", "no se corta", "no se baja", "no se cierra", "no se mejora", "no sabia", "no estoy seguro", "no estoy segura", "no solo", "no aguanto", "no soporto",
    "no para", "no paro", "no puedo", "no me deja", "no mejora", "no se va", "no se quita", "sin parar"};

// After these the patient states what they do have: "I'm not feeling well I have chest pain".
constexpr std::array affirmation_phrases{"i have", "ive got", "i got", "im having", "i am having", "i feel",
                                         "im feeling", "i am feeling", "he has", "she has", "they have",
                                         "tengo", "tiene", "siento", "me duele", "le duele"};

// Negations that turn a following "without"/"sin" or "no" into a double negative. Plain "no" is
// not among them, or a list ("no cough no fever no chest pain") would cancel itself.
constexpr std::array negative_verbs{"cant", "cannot", "couldnt", "wont", "unable", "dont", "doesnt", "didnt",
                                    "isnt", "arent", "wasnt", "werent", "never", "nunca", "nadie"};

constexpr std::array negative_words{"no", "not", "never", "cant", "cannot", "wont", "dont", "doesnt", "didnt",
                                    "isnt", "arent", "wasnt", "werent", "couldnt", "unable", "without", "nunca",
                                    "sin", "ni", "tampoco", "nadie"};

enum class gap { none, clause, sentence };

// Punctuation in the original text between two words. Hyphens are not boundaries: they join
// words ("self-harm").
gap classify(UChar32 c) {
    switch (c) {
        case '.': case ';': case '!': case '?': case '\n': case '\r': case '\v': case '\f':
        case 0x85: case 0xA1: case 0xBF: case 0x2026: case 0x2028: case 0x2029:
        case 0x3002: case 0xFF01: case 0xFF0E: case 0xFF1B: case 0xFF1F: case 0xFF61:
            return gap::sentence;
        case ',': case ':': case 0x2013: case 0x2014: case 0x3001: case 0xFF0C: case 0xFF1A:
            return gap::clause;
        default:
            return gap::none;
    }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

gap classify_gap(std::string_view original, std::size_t begin, std::size_t end) {
    const auto* s = reinterpret_cast<const std::uint8_t*>(original.data());
    end = std::min(end, original.size());
    // A decimal point or comma inside a number ("38.5", "38,5") ends nothing.
    if (end == begin + 1 && begin > 0 && end < original.size() && (original[begin] == '.' || original[begin] == ',') &&
        is_digit(original[begin - 1]) && is_digit(original[end])) {
        return gap::none;
    }
    gap strongest = gap::none;
    std::size_t i = begin;
    while (i < end) {
        UChar32 c = 0;
        U8_NEXT(s, i, end, c);
        strongest = std::max(strongest, classify(c));
    }
    return strongest;
}

template <std::size_t N>
void add_all(phrase_index& index, const std::array<const char*, N>& phrases) {
    for (const char* p : phrases) index.add(p, 0);
}

}  // namespace

bool is_negative_word(std::string_view word) {
    return std::find(negative_words.begin(), negative_words.end(), word) != negative_words.end();
}

negation_scope::negation_scope(const std::vector<std::string>& cues, word_table& table)
    : cues_(table, false), boundaries_(table, false), pseudo_(table, false), affirmations_(table, false) {
    for (const auto& c : cues) cues_.add(c, 0);
    add_all(boundaries_, boundary_phrases);
    add_all(pseudo_, pseudo_phrases);
    add_all(affirmations_, affirmation_phrases);
}

negation_scope::analysis negation_scope::analyse(std::string_view original, const message_words& words,
                                                 const std::vector<text_span>& spans) const {
    analysis a;
    const std::size_t n = words.size();
    a.sentence.assign(n, 0);
    a.clause.assign(n, 0);
    a.segment.assign(n, 0);
    std::size_t sentence = 0;
    std::size_t segment = 0;
    a.last_cue.assign(n, -1);
    std::size_t clause = 0;
    std::size_t cue_until = 0;     // words before this index belong to a cue or pseudo-negation
    std::ptrdiff_t cue_last = -1;  // last word of the latest real cue
    std::ptrdiff_t real_cue_first = -1;
    std::size_t real_cue_until = 0;  // words before this index belong to the latest real cue
    std::vector<char> in_pseudo(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) {
            const gap g = classify_gap(original, spans[i - 1].end, spans[i].begin);
            if (g != gap::none) {
                ++clause;
                ++segment;
            }
            if (g == gap::sentence) ++sentence;
        }
        a.sentence[i] = sentence;
        a.segment[i] = segment;
        a.last_cue[i] = cue_last;
        const bool inside_cue = i < cue_until;
        // A phrase inside a cue of several words is negated by it: "didnt lose consciousness".
        if (i < real_cue_until) a.last_cue[i] = real_cue_first;
        if (!inside_cue) {
            if (std::size_t b = boundaries_.longest_at(words, i); b > 0) {
                // The conjunction's own words are never cues: "sin embargo" starts with "sin".
                a.clause[i] = ++clause;
                if (words.text[i] != "and" && words.text[i] != "y") a.segment[i] = ++segment;
                cue_until = i + b;
                continue;
            }
            // "no tengo dolor" must stay negated: an affirmation right after a cue is part of it.
            const bool after_cue = cue_last >= 0 && static_cast<std::size_t>(cue_last) + 1 == i;
            if (!after_cue && affirmations_.longest_at(words, i) > 0) ++clause;
        }
        a.clause[i] = clause;
        if (inside_cue) continue;
        if (std::size_t p = pseudo_.longest_at(words, i); p > 0) {
            cue_until = i + p;
            std::fill_n(in_pseudo.begin() + static_cast<std::ptrdiff_t>(i), p, 1);
            continue;
        }
        const std::size_t c = cues_.longest_at(words, i);
        if (c == 0) continue;
        cue_until = i + c;
        // A double negative does not negate: "I can't walk without chest pain".
        bool double_negative = false;
        for (std::size_t k = i >= 3 ? i - 3 : 0; k < i; ++k) {
            const bool negative = in_pseudo[k] || std::find(negative_verbs.begin(), negative_verbs.end(),
                                                            words.text[k]) != negative_verbs.end();
            if (a.clause[k] == clause && negative) double_negative = true;
        }
        if (!double_negative) {
            cue_last = static_cast<std::ptrdiff_t>(i + c - 1);
            real_cue_first = static_cast<std::ptrdiff_t>(i);
            real_cue_until = i + c;
        }
    }
    return a;
}

bool negation_scope::negated(const analysis& a, std::size_t first_word) {
    if (first_word >= a.last_cue.size()) return false;
    const std::ptrdiff_t cue = a.last_cue[first_word];
    if (cue < 0) return false;
    const auto k = static_cast<std::size_t>(cue);
    return k < first_word && k + negation_window >= first_word && a.clause[k] == a.clause[first_word];
}

bool negation_scope::same_sentence(const analysis& a, std::size_t first_word, std::size_t last_word) {
    return last_word < a.sentence.size() && a.sentence[first_word] == a.sentence[last_word];
}

}  // namespace detail

}  // namespace triage::rules
