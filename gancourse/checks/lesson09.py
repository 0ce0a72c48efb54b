"""Checks for ``exercises/09_image_to_image.ipynb`` (lesson 09): the pix2pix generator loss and the
cycle-consistency loss.

Each check validates the result first (a tensor, one number, the inputs' dtype and device, with a
gradient), compares the inputs before and after the call, tries a second λ / seed / shape / dtype,
compares each term and the gradients with a float64 reference, and tests extreme logits by value.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from ._core import (
    CheckFailed,
    expect_tensor,
    grads_of,
    needs_grad,
    passed,
    run_learner,
    run_pure,
)


# ----------------------------------------------------------------------------- shared pieces
def _loss(out, name: str, like: torch.Tensor) -> torch.Tensor:
    """The learner's loss as a float64 0-d tensor, after checking type, size, dtype and device."""
    expect_tensor(out, name=name)
    if out.numel() != 1:
        raise CheckFailed(
            f"`{name}` must return one number, got shape {tuple(out.shape)}: take the mean.",
            mistake="not reduced",
        )
    return expect_tensor(out, like=like, name=name).detach().reshape(()).double()


def _close(a: torch.Tensor, b, atol: float) -> bool:
    """a is b within atol plus float32 round-off of b's size."""
    return bool(torch.isfinite(a)) and abs(a.item() - float(b)) <= atol + 1e-6 * abs(float(b))


# ----------------------------------------------------------------------------- pix2pix
def _pix2pix_data(seed: int, dtype=torch.float32, shape=(3, 3, 16, 16)):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(shape[0], 1, 6, 6, generator=g, dtype=torch.float64) * 2
    fake = torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1
    target = torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1
    return logits.to(dtype), fake.to(dtype), target.to(dtype)


def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(
        logits.double(), torch.full_like(logits, label).double()
    )


def _p2p_call(func, logits, fake, target, lam):
    out = run_pure(func, logits, fake, target, lam, name="pix2pix_generator_loss")
    return _loss(out, "pix2pix_generator_loss", logits), out


def _pix2pix_named(func, out, logits, fake, target, lam) -> None:
    """Recognise the usual wrong formulas; tolerance 1e-4 on each term (not relative to the sum)."""
    f, t = fake.double(), target.double()
    adv, l1 = _bce(logits, 1.0), (f - t).abs().mean()
    wrong = [
        (lam * adv + l1, "L1 weight on the wrong term", "λ multiplies the wrong term: it weights "
         "the L1 term (λ = 100 keeps the output close to the target), not the adversarial one."),
        (adv + l1, "missing lambda", "λ is missing: the L1 term is λ · |G(x) − y|₁."),
        (adv, "missing L1", "the L1 term is missing: add λ · |G(x) − y|₁."),
        (lam * l1, "missing adversarial", "the adversarial term is missing: add "
         "BCE-with-logits(D(x, G(x)), 1)."),
        (_bce(logits, 0.0) + lam * l1, "flipped labels",
         "the generator wants D to say *real*: the BCE target is 1, not 0."),
        (adv + lam * ((f - t) ** 2).mean(), "L2 instead of L1",
         "that is L2 (squared error): pix2pix uses L1, |G(x) − y|, which blurs less."),
        (adv + lam * (f - t).abs().sum(), "sum instead of mean",
         "use the mean absolute error, not the sum."),
        (adv + 100.0 * l1, "lambda hard-coded", f"you used λ = 100 although the call passed "
         f"lam = {lam:g}: use the `lam` argument, not a constant."),
    ]  # fmt: skip
    for value, mistake, hint in wrong:
        if _close(out, value, 1e-4) and not _close(out, adv + lam * l1, 1e-4):
            raise CheckFailed(hint, mistake=mistake)
    if _close(out, adv + lam * l1, 1e-4):
        return
    # which term is wrong? with fake = target the L1 term is 0 and the adversarial term is alone
    alone, _ = _p2p_call(func, logits, target.clone(), target, lam)
    if not _close(alone, adv, 1e-4):
        raise CheckFailed(
            f"with fake = target (L1 = 0) your loss is {alone.item():.5f}, but the adversarial "
            f"term alone is {adv.item():.5f}: BCE-with-logits(D(x, G(x)), ones), averaged over "
            "every patch logit.",
            mistake="wrong adversarial term",
        )
    raise CheckFailed(
        f"the adversarial term is right but the L1 term is {(out - adv).item():.4f}, expected "
        f"λ · mean|G(x) − y| = {lam:g} · {l1.item():.5f} = {(lam * l1).item():.4f}.",
        mistake="wrong L1 term",
    )


def check_pix2pix_generator_loss(pix2pix_generator_loss) -> bool:
    """Check ``pix2pix_generator_loss(d_fake_logits, fake, target, lam) =
    BCE(logits, 1) + lam * L1(fake, target)``, BCE on logits, L1 a mean."""
    func = pix2pix_generator_loss
    for seed, lam, dtype in ((0, 100.0, torch.float32), (1, 7.5, torch.float64)):
        logits, fake, target = _pix2pix_data(seed, dtype)
        value, _ = _p2p_call(func, logits, fake, target, lam)
        _pix2pix_named(func, value, logits, fake, target, lam)

    # extreme logits, L1 = 0: the adversarial term alone, by value
    logits = torch.tensor([-120.0, -80.0, -30.0, 0.0, 30.0, 80.0]).view(1, 1, 2, 3)
    fake = torch.rand(1, 3, 4, 4, generator=torch.Generator().manual_seed(2))
    value, _ = _p2p_call(func, logits, fake, fake.clone(), 100.0)
    expected = _bce(logits, 1.0)
    if not torch.isfinite(value):
        raise CheckFailed(
            "for a logit of −120 your loss is inf: log(sigmoid(−120)) underflows to log(0). Use "
            "F.binary_cross_entropy_with_logits (or -F.logsigmoid), which never forms sigmoid.",
            mistake="unstable log(sigmoid)",
        )
    if not _close(value, expected, 1e-3):
        p = torch.sigmoid(logits)
        named = [
            (F.binary_cross_entropy(p, torch.ones_like(p)), "BCE on probabilities",
             "binary_cross_entropy(sigmoid(logits), 1)"),
            *[(-torch.log(p + eps).mean(), "log(sigmoid + eps)", f"-log(sigmoid(l) + {eps:g})")
              for eps in (1e-8, 1e-7, 1e-6, 1e-12, 1e-10)],
        ]  # fmt: skip
        mistake, form = "unstable at extreme logits", "your formula"
        for ref, name, text in named:
            if _close(value, ref.double(), 1e-3):
                mistake, form = name, text
        raise CheckFailed(
            f"at logits −120 … 80 (fake = target, so only the adversarial term counts) your loss "
            f"is {value.item():.3f}, expected {expected.item():.3f}: {form} loses the large "
            "logits (sigmoid rounds to 0 or 1). Use F.binary_cross_entropy_with_logits or "
            "-F.logsigmoid(logits).mean().",
            mistake=mistake,
        )

    # gradients reach both the logits (adversarial term) and the fake image (L1 term)
    logits, fake, target = _pix2pix_data(3)
    logits.requires_grad_(True)
    fake.requires_grad_(True)
    _, out = _p2p_call(func, logits, fake, target, 100.0)
    needs_grad(out, name="pix2pix_generator_loss", what=" (the generator learns only through it)")
    got = grads_of(out, [logits, fake])
    ref_l, ref_f = logits.detach().requires_grad_(True), fake.detach().requires_grad_(True)
    ref = (
        F.binary_cross_entropy_with_logits(ref_l, torch.ones_like(ref_l))
        + 100.0 * (ref_f - target).abs().mean()
    )
    want = torch.autograd.grad(ref, [ref_l, ref_f])
    for g, w, term in zip(got, want, ("adversarial term (logits)", "L1 term (fake)")):
        if not torch.allclose(g, w, rtol=1e-3, atol=1e-6):
            raise CheckFailed(
                f"the value is right but the gradient through the {term} is "
                f"{'missing' if not g.any() else 'wrong'}: a .detach() (or .item(), .data, "
                "torch.no_grad()) cuts that term from the graph.",
                mistake="detached term",
            )
    return passed(
        "pix2pix generator loss: BCE-with-logits (target 1, stable at ±120) + λ · L1, for any λ, "
        "gradients reach both terms."
    )


# ----------------------------------------------------------------------------- CycleGAN
def _cycle_setup(seed: int, shape=(2, 3, 8, 8), dtype=torch.float32):
    # the learner's global (CPU) random state stays as it was; CUDA is not touched
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        nets = [torch.nn.Conv2d(3, 3, 3, padding=1) for _ in range(2)]
    with torch.no_grad():
        for net in nets:
            net.weight.mul_(3.0)  # outputs O(1), so an extra tanh or clamp shows
    G_ab, G_ba = (net.to(dtype) for net in nets)
    g = torch.Generator().manual_seed(seed + 1)
    a = (torch.rand(*shape, generator=g) * 2 - 1).to(dtype)
    b = (torch.rand(*shape, generator=g) * 2 - 1).to(dtype)
    return G_ab, G_ba, a, b


def _cycle_named(out, a, b, G_ab, G_ba) -> None:
    a, b = a.double(), b.double()
    G_ab, G_ba = copy.deepcopy(G_ab).double(), copy.deepcopy(G_ba).double()
    with torch.no_grad():
        fake_b, fake_a = G_ab(a), G_ba(b)
        rec_a, rec_b = G_ba(fake_b), G_ab(fake_a)
        expected = (rec_a - a).abs().mean() + (rec_b - b).abs().mean()
        wrong = [
            ((rec_a - fake_b).abs().mean() + (rec_b - fake_a).abs().mean(),
             "cycle compared to the wrong image", "you compared the round trip with the "
             "*translated* image: compare F(G(a)) with the original input a."),
            ((fake_b - a).abs().mean() + (fake_a - b).abs().mean(), "no round trip",
             "that compares G(a) with a (an identity-like loss): the cycle goes there *and "
             "back*, F(G(a)), before comparing with a."),
            ((rec_a - a).abs().mean(), "one direction only",
             "only the A → B → A cycle: add the B → A → B cycle |G(F(b)) − b|₁."),
            ((G_ab(fake_b) - a).abs().mean() + (G_ba(fake_a) - b).abs().mean(),
             "same generator twice", "the round trip uses the same generator twice: go A → B "
             "with G_ab and back with G_ba."),
            (((rec_a - a) ** 2).mean() + ((rec_b - b) ** 2).mean(), "L2 instead of L1",
             "that is L2: the cycle loss is L1 (mean absolute error)."),
            (10 * expected, "weighted by lambda", "your loss is 10 × the cycle loss: this "
             "function returns the unweighted loss; the training step multiplies it by λ."),
            (expected / 2, "averaged twice", "the two cycles are added, not averaged."),
            ((torch.tanh(rec_a) - a).abs().mean() + (torch.tanh(rec_b) - b).abs().mean(),
             "extra tanh", "you squashed the reconstructions with tanh: the generators' own "
             "outputs are compared as they are."),
        ]  # fmt: skip
    if _close(out, expected, 1e-5):
        return
    for value, mistake, hint in wrong:
        if _close(out, value, 1e-5):
            raise CheckFailed(hint, mistake=mistake)
    raise CheckFailed(
        f"expected {expected.item():.5f}, got {out.item():.5f}: "
        "|G_ba(G_ab(a)) − a|₁ + |G_ab(G_ba(b)) − b|₁ (means).",
        mistake="wrong formula",
    )


def _cycle_call(func, a, b, G_ab, G_ba):
    out = run_pure(func, a, b, G_ab, G_ba, name="cycle_loss")
    return _loss(out, "cycle_loss", a), out


def check_cycle_loss(cycle_loss) -> bool:
    """Check ``cycle_loss(a, b, G_ab, G_ba) = |G_ba(G_ab(a)) - a|_1 + |G_ab(G_ba(b)) - b|_1``
    (means), with gradients that reach both generators with the reference values."""
    G_ab, G_ba, a, b = _cycle_setup(0)
    value, out = _cycle_call(cycle_loss, a, b, G_ab, G_ba)
    _cycle_named(value, a, b, G_ab, G_ba)
    needs_grad(out, name="cycle_loss", what=" (the generators learn only through it)")
    params = [*G_ab.parameters(), *G_ba.parameters()]
    got = grads_of(out, params)
    ref = (G_ba(G_ab(a)) - a).abs().mean() + (G_ab(G_ba(b)) - b).abs().mean()
    want = torch.autograd.grad(ref, params)
    for i, (g, w) in enumerate(zip(got, want)):
        net = "G_ab" if i < 2 else "G_ba"
        if not g.any():
            raise CheckFailed(
                f"no gradient reaches {net}: do not detach or use torch.no_grad() inside the loss.",
                mistake="missing gradient",
            )
        if not torch.allclose(g, w, rtol=1e-3, atol=1e-6):
            raise CheckFailed(
                f"the loss value is right but {net}'s gradient is not: part of the graph is cut "
                "(a .detach() on G_ab(a) or G_ba(b), .data, or torch.no_grad() around one "
                "translation). Both generators learn from both round trips.",
                mistake="detached term",
            )
    # another seed, shape and dtype: nothing may depend on the first test's sizes or on float32
    G_ab, G_ba, a, b = _cycle_setup(5, (3, 3, 10, 12), torch.float64)
    value, _ = _cycle_call(cycle_loss, a, b, G_ab, G_ba)
    _cycle_named(value, a, b, G_ab, G_ba)
    return passed(
        "cycle loss: both round trips, compared with the original inputs, "
        "gradients reach both generators with the right values."
    )


# ----------------------------------------------------------------------------- CycleGAN G step
_TERMS = ("adv", "cycle", "identity", "total")


def _step_models(seed: int, dtype=torch.float64):
    """Tiny generators (3 -> 3 channels, tanh) and PatchGAN-like discriminators, seeded."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        nn = torch.nn

        def gen():
            return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Tanh(), nn.Conv2d(4, 3, 1))

        def disc():
            return nn.Sequential(
                nn.Conv2d(3, 4, 3, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(4, 1, 3, padding=1)
            )

        models = [m.to(dtype) for m in (gen(), gen(), disc(), disc())]
        g = torch.Generator().manual_seed(seed + 1)
        a = torch.rand(2, 3, 8, 8, generator=g, dtype=dtype) * 2 - 1
        b = torch.rand(2, 3, 8, 8, generator=g, dtype=dtype) * 2 - 1
    return (*models, a, b)


def _step_reference(G_ab, G_ba, D_a, D_b, a, b, lc, li, mistake: str = ""):
    """The generators' gradient (flat) and the four terms; ``mistake`` builds a wrong version."""
    fake_b, fake_a = G_ab(a), G_ba(b)
    if mistake == "BCE adversarial":
        adv = _bce(D_b(fake_b), 1.0) + _bce(D_a(fake_a), 1.0)
    else:
        target = 0.0 if mistake == "flipped labels" else 1.0
        adv = (D_b(fake_b) - target).pow(2).mean() + (D_a(fake_a) - target).pow(2).mean()
    back_b = fake_b.detach() if mistake in ("detached cycle", "detached cycle a") else fake_b
    back_a = fake_a.detach() if mistake in ("detached cycle", "detached cycle b") else fake_a
    cycle = (G_ba(back_b) - a).abs().mean() + (G_ab(back_a) - b).abs().mean()
    wrong = mistake == "identity on the wrong generator"
    identity = ((G_ba if wrong else G_ab)(b) - b).abs().mean()
    identity = identity + ((G_ab if wrong else G_ba)(a) - a).abs().mean()
    total = adv + lc * cycle + li * identity
    params = [*G_ab.parameters(), *G_ba.parameters()]
    grads = torch.autograd.grad(total, params)
    terms = [t.item() for t in (adv, cycle, identity, total)]
    return torch.cat([g.flatten() for g in grads]), terms


def _step_case(func, seed: int, lc: float, li: float, first: bool) -> list:
    G_ab, G_ba, D_a, D_b, a, b = _step_models(seed)
    params = [*G_ab.parameters(), *G_ba.parameters()]
    before = torch.cat([p.detach().flatten() for p in params])
    stale = torch.randn(before.shape, generator=torch.Generator().manual_seed(seed), dtype=a.dtype)
    grad, terms = _step_reference(G_ab, G_ba, D_a, D_b, a, b, lc, li)
    i = 0
    for p in params:  # gradients left over from a previous step: zero_grad() must clear them
        p.grad = stale[i : i + p.numel()].view_as(p).clone()
        i += p.numel()
    opt = torch.optim.SGD(params, lr=1.0)  # SGD with lr 1: the update is minus the gradient
    frozen = [t.detach().clone() for t in (a, b, *D_a.parameters(), *D_b.parameters())]
    out = run_learner(func, G_ab, G_ba, D_a, D_b, opt, a, b, lc, li, name="cyclegan_step")
    name = "cyclegan_step"
    if not isinstance(out, dict) or set(_TERMS) - set(out):
        got = sorted(out) if isinstance(out, dict) else type(out).__name__
        raise CheckFailed(
            f"`{name}` must return a dict with keys {list(_TERMS)}, got {got}.", mistake="return"
        )
    now = (a, b, *D_a.parameters(), *D_b.parameters())
    if any(not torch.equal(x.detach(), y) for x, y in zip(now, frozen)):
        raise CheckFailed(
            f"`{name}` changed the images a, b or a discriminator's weights: this step updates "
            "the generators only, through opt_g (the discriminators have their own step).",
            mistake="in place",
        )
    delta = torch.cat([p.detach().flatten() for p in params]) - before
    if torch.equal(delta, torch.zeros_like(delta)):
        has = any(p.grad is not None and p.grad.abs().sum() > 0 for p in params)
        hint = (
            "the generators did not change although they have gradients: call opt_g.step() "
            "after total.backward()."
            if has
            else "the generators did not change and hold no gradient: call opt_g.zero_grad() "
            "*before* total.backward(), then opt_g.step() right after it (a zero_grad() "
            "between backward() and step() throws the gradient away)."
        )
        raise CheckFailed(hint, mistake="no update")
    if not torch.allclose(delta, -grad, atol=1e-7, rtol=1e-5):
        if torch.allclose(delta, -(grad + stale), atol=1e-7, rtol=1e-5):
            raise CheckFailed(
                "the update also holds the gradients left from the previous step: call "
                "opt_g.zero_grad() before total.backward().",
                mistake="missing zero_grad",
            )
        models = _step_models(seed)  # fresh copies: the learner's step changed G_ab, G_ba
        detached = (
            "the cycle term sends no gradient through the first translation: do not .detach() "
            "G_ab(a) or G_ba(b) before translating back."
        )
        hints = {
            "detached cycle": detached,
            "detached cycle a": detached,
            "detached cycle b": detached,
            "identity on the wrong generator": "identity is |G_ab(b) - b| + |G_ba(a) - a|: "
            "the generator *into* B must leave a B image alone; you swapped the generators.",
            "BCE adversarial": "the adversarial term is least squares, mean (D(fake) - 1)², "
            "not binary cross-entropy.",
            "flipped labels": "the generators want D to say *real*: mean (D(fake) - 1)², not "
            "(D(fake) - 0)².",
        }
        for mistake, hint in hints.items():
            g, _ = _step_reference(*models, lc, li, mistake=mistake)
            if torch.allclose(delta, -g, atol=1e-7, rtol=1e-5):
                raise CheckFailed(hint, mistake=mistake.removesuffix(" a").removesuffix(" b"))
        for term, wc, wi in (("cycle", 0.0, li), ("identity", lc, 0.0)):
            g, _ = _step_reference(*models, wc, wi)
            if torch.allclose(delta, -g, atol=1e-7, rtol=1e-5):
                raise CheckFailed(
                    f"no gradient comes from the {term} term: it is missing from the total, or "
                    "cut off by .detach(), .item() or torch.no_grad().",
                    mistake=f"no {term} gradient",
                )
        for wc, wi in ((10.0, 5.0), (10.0, 0.5), (1.0, 1.0), (lc, 0.5 * lc)):
            g, _ = _step_reference(*models, wc, wi)
            if torch.allclose(delta, -g, atol=1e-7, rtol=1e-5):
                raise CheckFailed(
                    f"your update uses λ_cyc = {wc:g}, λ_id = {wi:g}, but the call passed "
                    f"lambda_cyc = {lc:g}, lambda_id = {li:g}: use the arguments, not constants.",
                    mistake="lambdas hard-coded",
                )
        raise CheckFailed(
            ("" if first else f"with lambda_cyc = {lc:g}, lambda_id = {li:g} (another seed): ")
            + "the generators' update is not one step on adv + λ_cyc·cycle + λ_id·identity. "
            "Compute all terms for both directions, then zero_grad, backward, step.",
            mistake="wrong update",
        )
    for key, want in zip(_TERMS, terms):
        value = out[key]
        if isinstance(value, torch.Tensor):
            raise CheckFailed(
                f"out['{key}'] is a tensor: return plain numbers (loss.item()), so the log "
                "keeps no graph alive.",
                mistake="tensor in log",
            )
        if not isinstance(value, float | int) or abs(value - want) > 1e-6 * (1 + abs(want)):
            raise CheckFailed(
                f"the update is right but out['{key}'] = {value!r}, expected {want:.6g}: "
                "return the terms you stepped on (computed before the step).",
                mistake="wrong log",
            )
    return terms


def check_cyclegan_step(cyclegan_step) -> bool:
    """Check ``cyclegan_step(G_ab, G_ba, D_a, D_b, opt_g, a, b, lambda_cyc, lambda_id) -> dict``:
    one generator update on ``LS adv + λ_cyc·cycle + λ_id·identity`` (both directions), compared
    with the exact gradient (SGD with lr 1 and stale gradients in place), then other λs and seed."""
    _step_case(cyclegan_step, seed=3, lc=10.0, li=5.0, first=True)
    terms = _step_case(cyclegan_step, seed=4, lc=3.0, li=0.7, first=False)
    return passed(
        "one step on both directions' adversarial, cycle and identity terms, with your λs "
        f"(second call: adv {terms[0]:.3f}, cycle {terms[1]:.3f}, identity {terms[2]:.3f})."
    )
