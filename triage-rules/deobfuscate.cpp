#include "triage-rules/deobfuscate.hpp"

#include <algorithm>
#include <cstdint>

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

normalized_text join_spelled_letters(const normalized_text& n) {
    constexpr std::size_t min_run = 3;
    // Word boundaries of the normalised text.
    struct word { std::size_t begin, end; };
    std::vector<word> words;
    for (std::size_t i = 0; i < n.text.size();) {
        std::size_t e = n.text.find(' ', i);
        if (e == std::string::npos) e = n.text.size();
        words.push_back({i, e});
        i = e + 1;
    }
    auto single = [&](const word& w) { return w.end - w.begin == 1 && n.text[w.begin] >= 'a' && n.text[w.begin] <= 'z'; };
    bool any = false;
    for (std::size_t k = 0; k + min_run <= words.size() && !any;) {
        std::size_t r = k;
        while (r < words.size() && single(words[r])) ++r;
        if (r - k >= min_run) any = true;
        k = r == k ? k + 1 : r;
    }
    if (!any) return n;
    normalized_text out;
    out.failed = n.failed;
    auto push = [&](std::size_t at) {
        out.text.push_back(n.text[at]);
        out.origin.push_back(n.origin[at]);
        out.origin_end.push_back(n.origin_end[at]);
    };
    for (std::size_t k = 0; k < words.size();) {
        std::size_t r = k;
        while (r < words.size() && single(words[r])) ++r;
        if (k > 0) push(words[k].begin - 1);  // the space before this word
        if (r - k >= min_run) {
            // A wider gap in the patient's text than between the letters ("m y  l e g") is where
            // one spelled word ends and the next begins.
            auto gap_before = [&](std::size_t x) { return n.origin[words[x].begin] - n.origin_end[words[x - 1].begin]; };
            std::size_t narrowest = SIZE_MAX;
            for (std::size_t x = k + 1; x < r; ++x) narrowest = std::min(narrowest, gap_before(x));
            for (std::size_t x = k; x < r; ++x) {
                if (x > k && gap_before(x) > narrowest) push(words[x].begin - 1);
                push(words[x].begin);
            }
            k = r;
            continue;
        }
        for (std::size_t x = words[k].begin; x < words[k].end; ++x) push(x);
        ++k;
    }
    return out;
}

deobfuscated deobfuscate(std::string_view input, const normalized_text& plain) {
    deobfuscated d;
    const std::string letters = unleet(input);
    d.text = join_spelled_letters(letters == input ? plain : normalize(letters));
    d.changed = d.text.text != plain.text;
    return d;
}

}  // namespace triage::rules
