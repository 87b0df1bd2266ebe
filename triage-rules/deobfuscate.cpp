#include "triage-rules/deobfuscate.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace triage::rules {

namespace {

bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// What each stand-in usually means in leetspeak. '1' and '|' read as 'i' or 'l'; 'i' is the more
// common in the words that matter here (kill, pill, die), and the typo tolerance of the rules
// covers the rest.
char letter_for(char c) {
    switch (c) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    case '8': return 'b';
    case '@': return 'a';
    case '$': return 's';
    case '!': return 'i';
    case '|': return 'l';
    default: return 0;
    }
}

}  // namespace

std::string unleet(std::string_view input) {
    std::string out(input);
    const std::size_t n = out.size();
    std::size_t i = 0;
    while (i < n) {
        if (!letter_for(out[i])) {
            ++i;
            continue;
        }
        // A run of stand-ins, changed only when a letter touches it on both sides ("p41n"), or on
        // one side for a '$' or '@' that starts a word ("$uicide", "@nxiety"), which no number has.
        std::size_t j = i;
        while (j < n && letter_for(out[j])) ++j;
        const bool before = i > 0 && ascii_letter(out[i - 1]);
        const bool after = j < n && ascii_letter(out[j]);
        const bool word_start = i == 0 || !(ascii_letter(out[i - 1]) || (out[i - 1] >= '0' && out[i - 1] <= '9'));
        const bool symbol_start = word_start && after && (out[i] == '$' || out[i] == '@');
        if ((before && after) || symbol_start) {
            for (std::size_t k = i; k < j; ++k) out[k] = letter_for(out[k]);
        }
        i = j;
    }
    return out;
}

namespace {

// The fewest known words that make up `s` (one-letter words only where English or Spanish has
// them), as the offsets where each word after the first begins; empty when there is no such cut.
std::vector<std::size_t> cut_into_words(std::string_view s, const known_word& known) {
    constexpr std::size_t longest = 20;
    constexpr std::size_t none = SIZE_MAX;
    const std::size_t n = s.size();
    std::vector<std::size_t> pieces(n + 1, none), from(n + 1, 0);
    pieces[0] = 0;
    for (std::size_t end = 1; end <= n; ++end) {
        for (std::size_t len = 1; len <= std::min(longest, end); ++len) {
            const std::size_t begin = end - len;
            if (pieces[begin] == none || pieces[begin] + 1 >= pieces[end]) continue;
            const std::string_view w = s.substr(begin, len);
            if (len == 1 && w != "i" && w != "a" && w != "y" && w != "o" && w != "e") continue;
            if (!known(w)) continue;
            pieces[end] = pieces[begin] + 1;
            from[end] = begin;
        }
    }
    std::vector<std::size_t> cuts;
    if (pieces[n] == none) return cuts;
    for (std::size_t at = from[n]; at > 0; at = from[at]) cuts.push_back(at);
    std::reverse(cuts.begin(), cuts.end());
    return cuts;
}

}  // namespace

normalized_text join_spelled_letters(const normalized_text& n, const known_word& known) {
    constexpr std::size_t min_run = 3;
    // Shorter strings are words or abbreviations already ("c o p d"); cutting them guesses.
    constexpr std::size_t min_cut_length = 6;
    // Word boundaries of the normalised text.
    struct word { std::size_t begin, end; };
    std::vector<word> words;
    for (std::size_t i = 0; i < n.text.size();) {
        std::size_t e = n.text.find(' ', i);
        if (e == std::string::npos) e = n.text.size();
        words.push_back({i, e});
        i = e + 1;
    }
    auto letter = [&](std::size_t x) {
        return words[x].end - words[x].begin == 1 && n.text[words[x].begin] >= 'a' && n.text[words[x].begin] <= 'z';
    };
    // A one-letter word, or a stand-in digit between two of them ("k 1 l l").
    auto single = [&](std::size_t x) {
        if (letter(x)) return true;
        const char c = n.text[words[x].begin];
        return words[x].end - words[x].begin == 1 && c >= '0' && c <= '9' && letter_for(c) != 0 && x > 0 &&
               x + 1 < words.size() && letter(x - 1) && letter(x + 1);
    };
    bool any = false;
    for (std::size_t k = 0; k + min_run <= words.size() && !any;) {
        std::size_t r = k;
        while (r < words.size() && single(r)) ++r;
        if (r - k >= min_run) any = true;
        k = r == k ? k + 1 : r;
    }
    if (!any) return n;
    normalized_text out;
    out.failed = n.failed;
    auto push = [&](std::size_t at, char c) {
        out.text.push_back(c);
        out.origin.push_back(n.origin[at]);
        out.origin_end.push_back(n.origin_end[at]);
    };
    // One spelled word: its letters, cut into known words where it is not one.
    auto push_spelled = [&](const std::vector<std::size_t>& at) {
        std::string joined;
        for (std::size_t b : at) {
            const char c = n.text[b];
            joined.push_back(c >= '0' && c <= '9' ? letter_for(c) : c);
        }
        std::vector<std::size_t> cuts;
        if (known && joined.size() >= min_cut_length && !known(joined)) cuts = cut_into_words(joined, known);
        std::size_t next_cut = 0;
        for (std::size_t i = 0; i < at.size(); ++i) {
            if (next_cut < cuts.size() && cuts[next_cut] == i) {
                // The space between the two letters in the patient's text.
                out.text.push_back(' ');
                out.origin.push_back(n.origin_end[at[i - 1]]);
                out.origin_end.push_back(n.origin[at[i]]);
                ++next_cut;
            }
            push(at[i], joined[i]);
        }
    };
    for (std::size_t k = 0; k < words.size();) {
        std::size_t r = k;
        while (r < words.size() && single(r)) ++r;
        if (k > 0) push(words[k].begin - 1, ' ');  // the space before this word
        if (r - k >= min_run) {
            // A wider gap in the patient's text than between the letters ("m y  l e g") is where
            // one spelled word ends and the next begins.
            auto gap_before = [&](std::size_t x) { return n.origin[words[x].begin] - n.origin_end[words[x - 1].begin]; };
            std::size_t narrowest = SIZE_MAX;
            for (std::size_t x = k + 1; x < r; ++x) narrowest = std::min(narrowest, gap_before(x));
            std::vector<std::size_t> spelled;
            for (std::size_t x = k; x < r; ++x) {
                if (x > k && gap_before(x) > narrowest) {
                    push_spelled(spelled);
                    spelled.clear();
                    push(words[x].begin - 1, ' ');
                }
                spelled.push_back(words[x].begin);
            }
            push_spelled(spelled);
            k = r;
            continue;
        }
        for (std::size_t x = words[k].begin; x < words[k].end; ++x) push(x, n.text[x]);
        ++k;
    }
    return out;
}

deobfuscated deobfuscate(std::string_view input, const normalized_text& plain, const known_word& known) {
    deobfuscated d;
    const std::string letters = unleet(input);
    d.text = join_spelled_letters(letters == input ? plain : normalize(letters), known);
    d.changed = d.text.text != plain.text;
    return d;
}

}  // namespace triage::rules
