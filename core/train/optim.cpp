#include "core/train/optim.h"

#include "core/base/errors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace taskmoe::core {

namespace {

void require(bool ok, const std::string &message)
{
    if (!ok)
        throw std::invalid_argument(message);
}

std::string num(double value)
{
    std::ostringstream s;
    s << value;
    return s.str();
}

std::string shapeText(const std::vector<std::int64_t> &shape)
{
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

// ---- the state file: native byte order, fixed-width integers, raw tensor bytes -------------

constexpr char kMagic[8] = {'T', 'M', 'O', 'P', 'T', 'I', 'M', '1'};
constexpr std::uint32_t kMaxString = 1u << 16;
constexpr std::uint32_t kMaxDims = 16;

template <typename T>
void put(std::ostream &out, T value)
{
    out.write(reinterpret_cast<const char *>(&value), sizeof value);
}

void putString(std::ostream &out, const std::string &s)
{
    put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
    out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

void putShape(std::ostream &out, c10::IntArrayRef shape)
{
    put<std::uint32_t>(out, static_cast<std::uint32_t>(shape.size()));
    for (auto d : shape)
        put<std::int64_t>(out, d);
}

InputError corrupt(const std::string &what)
{
    return InputError("optimizer state: " + what);
}

template <typename T>
T get(std::istream &in)
{
    T value{};
    if (!in.read(reinterpret_cast<char *>(&value), sizeof value))
        throw corrupt("the data is truncated");
    return value;
}

std::string getString(std::istream &in)
{
    auto size = get<std::uint32_t>(in);
    if (size > kMaxString)
        throw corrupt("the data is corrupt (a name of " + std::to_string(size) + " bytes)");
    std::string s(size, '\0');
    if (size && !in.read(s.data(), size))
        throw corrupt("the data is truncated");
    return s;
}

std::vector<std::int64_t> getShape(std::istream &in)
{
    auto dims = get<std::uint32_t>(in);
    if (dims > kMaxDims)
        throw corrupt("the data is corrupt (a tensor with " + std::to_string(dims) + " dimensions)");
    std::vector<std::int64_t> shape(dims);
    for (auto &d : shape) {
        d = get<std::int64_t>(in);
        if (d < 0)
            throw corrupt("the data is corrupt (a negative dimension)");
    }
    return shape;
}

torch::Tensor rms(const torch::Tensor &t)
{
    return t.square().mean().sqrt();
}

} // namespace

void OptimizerOptions::validate() const
{
    require(kind == "adafactor" || kind == "adam", "train.optimizer must be adafactor or adam (got '" + kind + "')");
    require(std::isfinite(lr) && lr > 0, "train.lr must be a positive number (got " + num(lr) + ")");
    require(warmup >= 0, "train.warmup must be 0 or a positive number of steps (got " + std::to_string(warmup) + ")");
    require(schedule == "rsqrt" || schedule == "linear" || schedule == "cosine",
            "train.schedule must be one of rsqrt, linear, cosine (got '" + schedule + "')");
    require(beta1 >= 0 && beta1 < 1, "train.beta1 must be in [0, 1) (got " + num(beta1) + ")");
    require(std::isfinite(clipThreshold) && clipThreshold > 0,
            "train.clip_threshold must be a positive number (got " + num(clipThreshold) + ")");
    require(adamBeta1 >= 0 && adamBeta1 < 1, "train.adam_beta1 must be in [0, 1) (got " + num(adamBeta1) + ")");
    require(adamBeta2 >= 0 && adamBeta2 < 1, "train.adam_beta2 must be in [0, 1) (got " + num(adamBeta2) + ")");
    require(std::isfinite(adamEps) && adamEps > 0, "train.adam_eps must be a positive number (got " + num(adamEps) + ")");
    require(std::isfinite(weightDecay) && weightDecay >= 0,
            "train.weight_decay must be 0 or a positive number (got " + num(weightDecay) + ")");
    require(std::isfinite(clipNorm) && clipNorm >= 0,
            "train.clip_norm must be 0 (off) or a positive number (got " + num(clipNorm) + ")");
}

double learningRate(const OptimizerOptions &options, std::int64_t step, double progress)
{
    constexpr double kPi = 3.14159265358979323846;
    const double w = static_cast<double>(std::max<std::int64_t>(1, options.warmup));
    const double s = static_cast<double>(std::max<std::int64_t>(1, step));
    const double ramp = std::min(1.0, s / w);
    const double p = std::isfinite(progress) ? std::clamp(progress, 0.0, 1.0) : 1.0;
    if (options.schedule == "linear")
        return options.lr * std::min(ramp, 1.0 - p);
    if (options.schedule == "cosine")
        return options.lr * std::min(ramp, 0.5 * (1.0 + std::cos(kPi * p)));
    if (s <= w)
        return options.lr * ramp;
    return options.lr * std::sqrt(w / s);
}

// ---- Optimizer ------------------------------------------------------------------------------

Optimizer::Optimizer(std::string kindName, const OptimizerOptions &options, const NamedParameters &params)
    : options_(options), kindName_(std::move(kindName))
{
    options_.validate();
    params_.reserve(params.size());
    for (const auto &item : params) {
        TORCH_CHECK(item.value().defined(), "optimizer: parameter '", item.key(), "' is undefined");
        TORCH_CHECK(item.value().is_floating_point(), "optimizer: parameter '", item.key(), "' is not floating point");
        params_.push_back(ParamState{item.key(), item.value(), 0, {}});
    }
}

void Optimizer::initialiseState()
{
    for (auto &p : params_)
        p.slots = freshSlots(p.param);
}

torch::Tensor &Optimizer::slot(ParamState &state, const char *name)
{
    for (auto &s : state.slots)
        if (s.first == name)
            return s.second;
    TORCH_CHECK(false, "optimizer: no state '", name, "' for parameter '", state.name, "'");
}

void Optimizer::shard(const std::string &name, std::int64_t first, std::int64_t count, std::int64_t whole)
{
    for (auto &p : params_) {
        if (p.name != name)
            continue;
        TORCH_CHECK(p.wholeRows == 0, "optimizer: parameter '", name, "' is sharded already");
        TORCH_CHECK(p.param.dim() >= 1 && p.param.size(0) == count && first >= 0 && first + count <= whole,
                    "optimizer: parameter '", name, "' does not hold rows ", first, "..", first + count - 1, " of ", whole);
        for (auto &[slotName, tensor] : p.slots) {
            TORCH_CHECK(tensor.dim() >= 1 && tensor.size(0) == whole, "optimizer: state '", slotName, "' of '", name,
                        "' is not split along the parameter's first dimension");
            tensor = tensor.narrow(0, first, count).clone();
        }
        p.wholeRows = whole;
        return;
    }
    TORCH_CHECK(false, "optimizer: no parameter '", name, "'");
}

double Optimizer::stateBytes() const
{
    double bytes = 0;
    for (const auto &p : params_)
        for (const auto &slotTensor : p.slots)
            bytes += double(slotTensor.second.numel()) * double(slotTensor.second.element_size());
    return bytes;
}

void Optimizer::setSumOverRanks(std::function<void(std::vector<double> &)> sum)
{
    sumOverRanks_ = std::move(sum);
}

std::pair<torch::Tensor, torch::Tensor> Optimizer::wholeRms(const ParamState &state, const torch::Tensor &a, const torch::Tensor &b) const
{
    if (state.wholeRows == 0 || !sumOverRanks_)
        return {rms(a), rms(b)};
    std::vector<double> sums{a.to(torch::kDouble).square().sum().item<double>(), b.to(torch::kDouble).square().sum().item<double>()};
    sumOverRanks_(sums);
    const double n = double(a.numel() / std::max<std::int64_t>(1, a.size(0)) * state.wholeRows);
    return {torch::full({}, std::sqrt(sums[0] / n), a.options()), torch::full({}, std::sqrt(sums[1] / n), b.options())};
}

double Optimizer::step(std::int64_t step, double progress)
{
    torch::NoGradGuard noGrad;
    // Global L2 norm over all defined gradients, accumulated in double (the sharded
    // parameters' part summed over the ranks).
    double sumSquares = 0, shardedSquares = 0;
    bool sharded = false;
    for (const auto &p : params_) {
        const auto &g = p.param.grad();
        sharded = sharded || p.wholeRows > 0;
        if (g.defined())
            (p.wholeRows > 0 ? shardedSquares : sumSquares) += g.to(torch::kDouble).square().sum().item<double>();
    }
    if (sharded && sumOverRanks_) {
        std::vector<double> sum{shardedSquares};
        sumOverRanks_(sum);
        shardedSquares = sum[0];
    }
    sumSquares += shardedSquares;
    const double norm = std::sqrt(sumSquares);
    if (!std::isfinite(norm))
        return norm;
    if (options_.clipNorm > 0 && norm > options_.clipNorm) {
        const double scale = options_.clipNorm / norm;
        for (auto &p : params_) {
            auto g = p.param.mutable_grad();
            if (g.defined())
                g.mul_(scale);
        }
    }
    lastLr_ = learningRate(options_, step, progress);
    for (auto &p : params_) {
        const auto &g = p.param.grad();
        if (!g.defined())
            continue;
        TORCH_CHECK(!g.is_sparse(), "optimizer: sparse gradients are not supported (parameter '", p.name, "')");
        ++p.count;
        update(p, g, lastLr_);
    }
    return norm;
}

void Optimizer::zeroGrad()
{
    for (auto &p : params_)
        p.param.mutable_grad() = torch::Tensor();
}

void Optimizer::save(std::ostream &out) const
{
    save(out, nullptr);
}

std::string Optimizer::saveWholeToString(const std::function<torch::Tensor(const torch::Tensor &)> &whole) const
{
    std::ostringstream out(std::ios::binary);
    save(out, &whole);
    return std::move(out).str();
}

void Optimizer::save(std::ostream &out, const std::function<torch::Tensor(const torch::Tensor &)> *whole) const
{
    out.write(kMagic, sizeof kMagic);
    putString(out, kindName_);
    put<std::uint64_t>(out, params_.size());
    for (const auto &p : params_) {
        const bool makeWhole = whole && p.wholeRows > 0;
        putString(out, p.name);
        auto shape = p.param.sizes().vec();
        if (makeWhole)
            shape[0] = p.wholeRows;
        putShape(out, shape);
        put<std::int64_t>(out, p.count);
        put<std::uint32_t>(out, static_cast<std::uint32_t>(p.slots.size()));
        for (const auto &[name, tensor] : p.slots) {
            const auto t = (makeWhole ? (*whole)(tensor) : tensor).contiguous().cpu();
            putString(out, name);
            put<std::int8_t>(out, static_cast<std::int8_t>(t.scalar_type()));
            putShape(out, t.sizes());
            const auto bytes = static_cast<std::uint64_t>(t.numel()) * t.element_size();
            put<std::uint64_t>(out, bytes);
            out.write(static_cast<const char *>(t.data_ptr()), static_cast<std::streamsize>(bytes));
        }
    }
    if (!out)
        throw std::runtime_error("optimizer state: writing failed");
}

void Optimizer::load(std::istream &in)
{
    commitState(readState(in));
}

std::vector<std::pair<std::int64_t, Optimizer::Slots>> Optimizer::readState(std::istream &in) const
{
    char magic[sizeof kMagic];
    if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0)
        throw corrupt("not an optimizer state (wrong header)");
    const auto kind = getString(in);
    if (kind != kindName_)
        throw corrupt("the state is for " + kind + ", but the optimizer is " + kindName_);
    const auto count = get<std::uint64_t>(in);
    if (count != params_.size())
        throw corrupt("the state has " + std::to_string(count) + " parameters, the model " + std::to_string(params_.size()));

    std::vector<std::pair<std::int64_t, Slots>> loaded;
    loaded.reserve(params_.size());
    for (const auto &p : params_) {
        const auto name = getString(in);
        if (name != p.name)
            throw corrupt("expected parameter '" + p.name + "', found '" + name + "'");
        const auto shape = getShape(in);
        if (shape != p.param.sizes().vec())
            throw corrupt("parameter '" + p.name + "' has shape " + shapeText(shape) + " in the state but "
                          + shapeText(p.param.sizes().vec()) + " in the model");
        const auto updates = get<std::int64_t>(in);
        if (updates < 0)
            throw corrupt("parameter '" + p.name + "' has a negative update count");
        const auto expected = freshSlots(p.param);
        const auto slots = get<std::uint32_t>(in);
        if (slots != expected.size())
            throw corrupt("parameter '" + p.name + "' has " + std::to_string(slots) + " state tensors, expected "
                          + std::to_string(expected.size()));
        Slots values;
        for (const auto &[expectedName, fresh] : expected) {
            const auto slotName = getString(in);
            if (slotName != expectedName)
                throw corrupt("parameter '" + p.name + "': expected state '" + expectedName + "', found '" + slotName + "'");
            const auto type = get<std::int8_t>(in);
            const auto slotShape = getShape(in);
            const auto bytes = get<std::uint64_t>(in);
            if (type != static_cast<std::int8_t>(fresh.scalar_type()))
                throw corrupt("parameter '" + p.name + "': state '" + slotName + "' has a different element type");
            if (slotShape != fresh.sizes().vec())
                throw corrupt("parameter '" + p.name + "': state '" + slotName + "' has shape " + shapeText(slotShape)
                              + ", expected " + shapeText(fresh.sizes().vec()));
            if (bytes != static_cast<std::uint64_t>(fresh.numel()) * fresh.element_size())
                throw corrupt("parameter '" + p.name + "': state '" + slotName + "' has the wrong size");
            auto t = torch::empty(fresh.sizes(), fresh.options().device(torch::kCPU));
            if (bytes && !in.read(static_cast<char *>(t.data_ptr()), static_cast<std::streamsize>(bytes)))
                throw corrupt("the data is truncated");
            values.emplace_back(slotName, t.to(fresh.device()));
        }
        loaded.emplace_back(updates, std::move(values));
    }
    return loaded;
}

void Optimizer::commitState(std::vector<std::pair<std::int64_t, Slots>> loaded)
{
    for (std::size_t i = 0; i < params_.size(); ++i) {
        params_[i].count = loaded[i].first;
        params_[i].slots = std::move(loaded[i].second);
    }
}

std::string Optimizer::saveToString() const
{
    std::ostringstream out(std::ios::binary);
    save(out);
    return std::move(out).str();
}

void Optimizer::loadFromString(const std::string &blob)
{
    std::istringstream in(blob, std::ios::binary);
    auto loaded = readState(in);
    if (in.peek() != std::char_traits<char>::eof())
        throw corrupt("unexpected data after the state");
    commitState(std::move(loaded));
}

torch::Tensor Optimizer::stateTensor(const std::string &parameter, const std::string &slotName) const
{
    for (const auto &p : params_)
        if (p.name == parameter)
            for (const auto &s : p.slots)
                if (s.first == slotName)
                    return s.second;
    return {};
}

std::int64_t Optimizer::updateCount(const std::string &parameter) const
{
    for (const auto &p : params_)
        if (p.name == parameter)
            return p.count;
    return 0;
}

// ---- Adafactor ------------------------------------------------------------------------------

Adafactor::Adafactor(const OptimizerOptions &options, const NamedParameters &params)
    : Optimizer("adafactor", options, params)
{
    initialiseState();
}

Optimizer::Slots Adafactor::freshSlots(const torch::Tensor &param) const
{
    Slots slots;
    const auto opts = param.options().requires_grad(false);
    if (param.dim() >= 2) {
        auto sizes = param.sizes().vec();
        auto rowShape = std::vector<std::int64_t>(sizes.begin(), sizes.end() - 1);        // [..., a]
        auto colShape = std::vector<std::int64_t>(sizes.begin(), sizes.end() - 2);        // [..., b]
        colShape.push_back(sizes.back());
        slots.emplace_back("row", torch::zeros(rowShape, opts));
        slots.emplace_back("col", torch::zeros(colShape, opts));
    } else {
        slots.emplace_back("v", torch::zeros(param.sizes(), opts));
    }
    if (options_.beta1 > 0)
        slots.emplace_back("m", torch::zeros(param.sizes(), opts));
    return slots;
}

void Adafactor::update(ParamState &state, const torch::Tensor &grad, double lr)
{
    auto &x = state.param;
    const double t = static_cast<double>(state.count);
    const double beta2 = 1.0 - std::pow(t, -kDecayRate); // β̂2_t; 0 at t = 1
    const auto g2 = grad.square().add_(kEps1);           // G² + ε1
    torch::Tensor u;
    if (x.dim() >= 2) {
        // Row/column running means over the last two dims. The paper's V̂ = R C / (1ᵀR) with
        // sums equals (R'/mean(R')) C' with means R' = R/b, C' = C/a.
        auto &row = slot(state, "row"); // [..., a]
        auto &col = slot(state, "col"); // [..., b]
        row.mul_(beta2).add_(g2.mean(-1), 1.0 - beta2);
        col.mul_(beta2).add_(g2.mean(-2), 1.0 - beta2);
        const auto rowFactor = (row / row.mean(-1, true)).rsqrt_().unsqueeze(-1); // [..., a, 1]
        const auto colFactor = col.rsqrt().unsqueeze(-2);                          // [..., 1, b]
        u = grad * rowFactor * colFactor;
    } else {
        auto &v = slot(state, "v");
        v.mul_(beta2).add_(g2, 1.0 - beta2);
        u = grad * v.rsqrt();
    }
    // Update clipping: Û = U / max(1, RMS(U) / d).
    const auto [rmsU, rmsX] = wholeRms(state, u, x);
    u.div_((rmsU / options_.clipThreshold).clamp_min_(1.0));
    // Step size α_t.
    torch::Tensor alpha = torch::full({}, lr, x.options().requires_grad(false));
    if (options_.relativeStep)
        alpha = alpha * rmsX.clamp_min_(kEps2);
    u.mul_(alpha);
    if (options_.beta1 > 0) {
        auto &m = slot(state, "m");
        m.mul_(options_.beta1).add_(u, 1.0 - options_.beta1);
        u = m;
    }
    if (options_.weightDecay > 0)
        x.sub_(x * alpha * options_.weightDecay);
    x.sub_(u);
}

// ---- Adam -----------------------------------------------------------------------------------

Adam::Adam(const OptimizerOptions &options, const NamedParameters &params) : Optimizer("adam", options, params)
{
    initialiseState();
}

Optimizer::Slots Adam::freshSlots(const torch::Tensor &param) const
{
    const auto opts = param.options().requires_grad(false);
    return {{"m", torch::zeros(param.sizes(), opts)}, {"v", torch::zeros(param.sizes(), opts)}};
}

void Adam::update(ParamState &state, const torch::Tensor &grad, double lr)
{
    auto &x = state.param;
    const double t = static_cast<double>(state.count);
    const double b1 = options_.adamBeta1, b2 = options_.adamBeta2;
    auto &m = slot(state, "m");
    auto &v = slot(state, "v");
    m.mul_(b1).add_(grad, 1.0 - b1);
    v.mul_(b2).addcmul_(grad, grad, 1.0 - b2);
    const double bc1 = 1.0 - std::pow(b1, t);
    const double bc2 = 1.0 - std::pow(b2, t);
    const auto denom = (v.sqrt() / std::sqrt(bc2)).add_(options_.adamEps);
    if (options_.weightDecay > 0)
        x.mul_(1.0 - lr * options_.weightDecay);
    x.addcdiv_(m, denom, -lr / bc1);
}

std::unique_ptr<Optimizer> makeOptimizer(const OptimizerOptions &options, const NamedParameters &params)
{
    options.validate();
    if (options.kind == "adam")
        return std::make_unique<Adam>(options, params);
    return std::make_unique<Adafactor>(options, params);
}

} // namespace taskmoe::core
