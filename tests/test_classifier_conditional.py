"""The attribute classifier (feature extractor) and the conditional DCGAN with projection
discriminator."""

import pytest
import torch

from gancourse.data import faces
from gancourse.data.faces import FACE_ATTRIBUTES, FACE_CLASSES
from gancourse.models.classifier import AttributeClassifier
from gancourse.models.conditional import ConditionalGenerator, ProjectionDiscriminator


def test_face_attribute_spec_matches_the_dataset():
    assert list(FACE_ATTRIBUTES) == list(faces.ATTRIBUTE_NAMES)
    for name, k in FACE_ATTRIBUTES.items():
        spec = faces.ATTRIBUTES[name]
        assert k == (spec.num_classes if spec.kind == "categorical" else 0)


def test_classifier_heads_features_and_config():
    model = AttributeClassifier(FACE_ATTRIBUTES, image_size=64, width=8, feature_dim=32).eval()
    x, attrs = faces.face_batch(4, 64, seed=0)
    out = model(x)
    assert list(out) == list(faces.ATTRIBUTE_NAMES)
    assert (
        out["smile"].shape == (4,)
        and out["hair_color"].shape == (4, 4)
        and out["glasses"].shape == (4, 2)
    )
    assert model.features(x).shape == (4, 32)
    predicted = model.predict(x)
    assert predicted.shape == (4, len(FACE_ATTRIBUTES))
    assert torch.all(predicted[:, 4:] == predicted[:, 4:].round())  # class indices
    rebuilt = AttributeClassifier(**model.config)
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in model.parameters()]
    loss, terms = model.loss(x, attrs)
    loss.backward()
    assert set(terms) == set(FACE_ATTRIBUTES) and loss.item() > 0


def test_classifier_rejects_wrong_input_with_a_hint():
    model = AttributeClassifier(FACE_ATTRIBUTES, width=8)
    with pytest.raises(ValueError, match="interpolate"):
        model.features(torch.zeros(2, 3, 32, 32))
    with pytest.raises(ValueError, match="0 \\(continuous\\) or >= 2"):
        AttributeClassifier({"a": 1})


def test_classifier_learns_glasses_quickly():
    """A few dozen steps on glasses only: the head really learns (accuracy well above chance)."""
    torch.manual_seed(0)
    model = AttributeClassifier({"glasses": 2}, image_size=32, width=8, feature_dim=16)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    column = faces.ATTRIBUTE_NAMES.index("glasses")
    for step in range(40):
        x, a = faces.face_batch(32, 32, seed=step)
        loss, _ = model.loss(x, a[:, column : column + 1])
        opt.zero_grad()
        loss.backward()
        opt.step()
    x, a = faces.face_batch(200, 32, seed=999)
    accuracy = (model.eval().predict(x)[:, 0] == a[:, column]).float().mean().item()
    assert accuracy > 0.8, accuracy


def test_conditional_generator_and_projection_discriminator_shapes():
    G = ConditionalGenerator(z_dim=16, image_size=32, width=8, classes=FACE_CLASSES, embed_dim=4)
    D = ProjectionDiscriminator(image_size=32, width=8, classes=FACE_CLASSES)
    labels = G.random_labels(5, generator=torch.Generator().manual_seed(0))
    assert labels.shape == (5, 4) and labels.dtype == torch.long
    x = G(torch.randn(5, 16), labels)
    assert x.shape == (5, 3, 32, 32) and x.abs().max() <= 1
    assert D(x, labels).shape == (5,)
    assert ConditionalGenerator(**G.config).config == G.config


def test_labels_change_the_output_of_both_models():
    torch.manual_seed(0)
    G = ConditionalGenerator(z_dim=16, image_size=32, width=8, classes=FACE_CLASSES).eval()
    D = ProjectionDiscriminator(image_size=32, width=8, classes=FACE_CLASSES).eval()
    z = torch.randn(2, 16)
    a, b = G.labels(2, glasses=0), G.labels(2, glasses=1)
    with torch.no_grad():
        assert not torch.allclose(G(z, a), G(z, b))
        x = G(z, a)
        assert not torch.allclose(D(x, a), D(x, b))


def test_labels_helpers():
    G = ConditionalGenerator(z_dim=8, image_size=16, width=4, classes=FACE_CLASSES)
    assert G.labels(1, hair_color="red", glasses=1).tolist() == [[3, 0, 1, 0]]
    attrs = faces.sample_attributes(6, 0)
    labels = G.labels_from_attributes(attrs)
    assert labels[:, 2].tolist() == attrs[:, faces.ATTRIBUTE_NAMES.index("glasses")].long().tolist()
    with pytest.raises(ValueError, match="unknown attribute"):
        G.labels(1, smile=1)
    with pytest.raises(ValueError, match="class indices 0..1"):
        G(torch.randn(1, 8), torch.tensor([[0, 0, 5, 0]]))
    with pytest.raises(ValueError, match=r"\(B, 4\)"):
        G(torch.randn(1, 8), torch.tensor([0, 0]))
