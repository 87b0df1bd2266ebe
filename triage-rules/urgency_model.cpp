#include "triage-rules/urgency_model.hpp"

#include "triage-rules/deobfuscate.hpp"

#include <fasttext/fasttext.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace triage::rules {

namespace {

constexpr std::string_view label_prefix = "__label__";

}  // namespace

std::string urgency_model_input(std::string_view text) {
    const auto plain = normalize(text);
    return deobfuscate(text, plain).text.text;
}

urgency level_for(const std::array<double, 5>& p, const urgency_thresholds& t) noexcept {
    const double at_least_emergency = p[4];
    const double at_least_urgent = at_least_emergency + p[3];
    const double at_least_routine = at_least_urgent + p[2];
    const double at_least_self_care = at_least_routine + p[1];
    if (at_least_emergency >= t.emergency) return urgency::emergency;
    if (at_least_urgent >= t.urgent) return urgency::urgent;
    if (at_least_routine >= t.routine) return urgency::routine;
    if (at_least_self_care >= t.self_care) return urgency::self_care;
    return urgency::none;
}

urgency_model::load_result urgency_model::load(std::string_view model_bytes, std::string version,
                                               urgency_thresholds thresholds) {
    load_result r;
    try {
        std::unique_ptr<urgency_model> m(new urgency_model());
        m->model_ = std::make_unique<fasttext::FastText>();
        // FastText::loadModel(istream) expects the header (magic number and file format version)
        // already read, as its file-name overload does before calling it.
        constexpr std::int32_t magic = 793712314;  // FASTTEXT_FILEFORMAT_MAGIC_INT32 in fastText 0.9
        constexpr std::int32_t format_version = 12;
        std::int32_t header[2] = {0, 0};
        if (model_bytes.size() < sizeof header) {
            r.error = "not a fastText model (too short)";
            return r;
        }
        std::memcpy(header, model_bytes.data(), sizeof header);
        if (header[0] != magic || header[1] > format_version) {
            r.error = "not a fastText model of a version this build reads";
            return r;
        }
        std::istringstream in{std::string(model_bytes.substr(sizeof header))};
        m->model_->loadModel(in);
        const auto dict = m->model_->getDictionary();
        int known = 0;
        for (std::int32_t i = 0; i < dict->nlabels(); ++i) {
            std::string label = dict->getLabel(i);
            if (label.starts_with(label_prefix)) label.erase(0, label_prefix.size());
            if (!urgency_from_string(label)) {
                r.error = "the model has a label that is not an urgency: " + label;
                return r;
            }
            ++known;
        }
        if (known < 2) {
            r.error = "the model knows fewer than two urgency levels";
            return r;
        }
        for (double t : {thresholds.self_care, thresholds.routine, thresholds.urgent, thresholds.emergency}) {
            if (!(t > 0.0 && t <= 1.0)) {
                r.error = "thresholds must be in (0, 1]";
                return r;
            }
        }
        m->version_ = std::move(version);
        m->thresholds_ = thresholds;
        r.model = std::move(m);
    } catch (const std::exception& e) {
        r.error = std::string("not a fastText model: ") + e.what();
    } catch (...) {
        r.error = "not a fastText model";
    }
    return r;
}

urgency_model::~urgency_model() = default;

std::array<double, 5> urgency_model::probabilities(std::string_view prepared) const {
    std::array<double, 5> p{};
    std::string line(prepared);
    line += '\n';
    std::istringstream in(line);
    std::vector<std::pair<fasttext::real, std::string>> predictions;
    model_->predictLine(in, predictions, 5, 0.0);
    for (auto& [prob, label] : predictions) {
        std::string_view name(label);
        if (name.starts_with(label_prefix)) name.remove_prefix(label_prefix.size());
        if (auto u = urgency_from_string(name)) p[static_cast<std::size_t>(*u)] = std::clamp(static_cast<double>(prob), 0.0, 1.0);
    }
    return p;
}

model_opinion urgency_model::estimate(std::string_view text) const noexcept {
    model_opinion o;
    try {
        o.version = version_;
        const std::string prepared = urgency_model_input(text);
        if (prepared.empty()) return o;  // nothing to read: the rules decide alone
        o.words = static_cast<std::size_t>(std::count(prepared.begin(), prepared.end(), ' ')) + 1;
        o.probability = probabilities(prepared);
        o.level = level_for(o.probability, thresholds_);
    } catch (...) {
        o.failed = true;
        o.level = urgency::none;
    }
    return o;
}

namespace {

// The rules read the message's alarming words and found them about no one now: a question, an
// idiom, a song, a pet ("my hamster isn't breathing"), a past event or a relative's history. A
// bag of n-grams sees the same words but not what frames them, so there it may raise a message
// to urgent (seen today, asked the complaint's questions) but not call it an emergency against
// the rules' reading. Anything the rules found current, or a negation (which the model reads as
// well as the rules), is not this.
bool alarm_read_in_context(const assessment& a) {
    if (!a.findings.empty() || std::any_of(a.clinical_findings.begin(), a.clinical_findings.end(), is_complaint))
        return false;
    constexpr std::array<std::string_view, 5> frames{"hypothetical", "harmless_phrase", "not_a_person", "historical",
                                                     "family_history"};
    // The framed alarm must be one the rules take seriously: a past tummy bug ("had a tummy bug
    // last week") says nothing about the weak legs and shallow breath the model read.
    return std::any_of(a.suppressed.begin(), a.suppressed.end(), [&](const finding& f) {
        return f.level >= urgency::urgent && std::any_of(f.modifiers.begin(), f.modifiers.end(), [&](const std::string& m) {
            return std::find(frames.begin(), frames.end(), m) != frames.end();
        });
    });
}

}  // namespace

void apply_model(assessment& a, model_opinion opinion) {
    // One or two words with nothing clinical in them ("cualquier hora", a tapped reply) give a bag
    // of n-grams too little to read: the model once called "Cualquier hora" an emergency with
    // p=0.95. There the rules decide alone; every short red flag ("cant breathe") is a rule.
    constexpr std::size_t min_words_alone = 3;
    const bool clinical = !a.findings.empty() || !a.suppressed.empty() || !a.clinical_findings.empty();
    if (!opinion.failed && (clinical || opinion.words >= min_words_alone)) {
        if (opinion.level == urgency::emergency && alarm_read_in_context(a)) {
            opinion.level = urgency::urgent;
            opinion.capped = true;
        }
        if (opinion.level > a.level) {
            a.level = opinion.level;
            opinion.raised = true;
        }
        if (opinion.level == urgency::emergency && !a.escalate) {
            a.escalate = true;
            opinion.raised = true;
        }
        if (opinion.raised) {
            const urgency read = opinion.capped ? urgency::emergency : opinion.level;
            char p[16];
            std::snprintf(p, sizeof p, "%.2f", opinion.probability[static_cast<std::size_t>(read)]);
            a.rationale += (a.rationale.empty() ? "" : " ") + std::string("The urgency model (") + opinion.version +
                           ") read it as " + std::string(to_string(read)) + " (p=" + p + ")" +
                           (opinion.capped ? "; raised to urgent only: the rules read its alarming words as not about anyone now."
                                           : ".");
        }
    }
    a.model = std::move(opinion);
}

}  // namespace triage::rules
