"""TM211 torchvision: ``pretrained=`` -> ``weights=`` and removed transform names.

Output style: ``models.resnet50(pretrained=True)`` ->
``models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)`` (the enum
is spelled through the same module prefix as the call; a bare imported name
gets ``torchvision.models.X_Weights`` and ``import torchvision``);
``pretrained=False`` -> ``weights=None``; ``transforms.Scale`` ->
``transforms.Resize``.
"""

from __future__ import annotations

import re

from fissix.pgen2 import token
from fissix.pygram import python_symbols as syms
from fissix.pytree import Leaf, Node

from codemods._tm2common import CALL_PATTERN, is_dot_trailer, iter_calls, literal, text
from codemods.base import MANUAL, SAFE, UNSAFE, Example, Rule, RuleFixer, ensure_import, parse_expr

# architecture -> (weights enum, weights value that `pretrained=True` loaded)
_IMAGENET = "IMAGENET1K_V1"
_VOC = "COCO_WITH_VOC_LABELS_V1"


def _enum(arch: str):
    fixed = {
        "alexnet": "AlexNet_Weights",
        "googlenet": "GoogLeNet_Weights",
        "inception_v3": "Inception_V3_Weights",
        "mobilenet_v2": "MobileNet_V2_Weights",
        "mobilenet_v3_large": "MobileNet_V3_Large_Weights",
        "mobilenet_v3_small": "MobileNet_V3_Small_Weights",
        "resnext50_32x4d": "ResNeXt50_32X4D_Weights",
        "resnext101_32x8d": "ResNeXt101_32X8D_Weights",
        "wide_resnet50_2": "Wide_ResNet50_2_Weights",
        "wide_resnet101_2": "Wide_ResNet101_2_Weights",
        "squeezenet1_0": "SqueezeNet1_0_Weights",
        "squeezenet1_1": "SqueezeNet1_1_Weights",
        "shufflenet_v2_x0_5": "ShuffleNet_V2_X0_5_Weights",
        "shufflenet_v2_x1_0": "ShuffleNet_V2_X1_0_Weights",
        "mnasnet0_5": "MNASNet0_5_Weights",
        "mnasnet1_0": "MNASNet1_0_Weights",
        "fasterrcnn_resnet50_fpn": "FasterRCNN_ResNet50_FPN_Weights",
        "maskrcnn_resnet50_fpn": "MaskRCNN_ResNet50_FPN_Weights",
        "keypointrcnn_resnet50_fpn": "KeypointRCNN_ResNet50_FPN_Weights",
        "retinanet_resnet50_fpn": "RetinaNet_ResNet50_FPN_Weights",
        "fcn_resnet50": "FCN_ResNet50_Weights",
        "fcn_resnet101": "FCN_ResNet101_Weights",
        "deeplabv3_resnet50": "DeepLabV3_ResNet50_Weights",
        "deeplabv3_resnet101": "DeepLabV3_ResNet101_Weights",
        "deeplabv3_mobilenet_v3_large": "DeepLabV3_MobileNet_V3_Large_Weights",
        "lraspp_mobilenet_v3_large": "LRASPP_MobileNet_V3_Large_Weights",
    }
    if arch in fixed:
        name = fixed[arch]
        if arch.startswith(("fasterrcnn", "maskrcnn", "keypointrcnn", "retinanet")):
            return name, "COCO_V1"
        if arch.startswith(("fcn_", "deeplabv3", "lraspp")):
            return name, _VOC
        return name, _IMAGENET
    m = re.fullmatch(r"resnet(18|34|50|101|152)", arch)
    if m:
        return f"ResNet{m.group(1)}_Weights", _IMAGENET
    m = re.fullmatch(r"vgg(11|13|16|19)(_bn)?", arch)
    if m:
        return f"VGG{m.group(1)}{'_BN' if m.group(2) else ''}_Weights", _IMAGENET
    m = re.fullmatch(r"densenet(121|161|169|201)", arch)
    if m:
        return f"DenseNet{m.group(1)}_Weights", _IMAGENET
    m = re.fullmatch(r"efficientnet_b([0-7])", arch)
    if m:
        return f"EfficientNet_B{m.group(1)}_Weights", _IMAGENET
    m = re.fullmatch(r"regnet_([xy])_(400mf|800mf|1_6gf|3_2gf|8gf|16gf|32gf)", arch)
    if m:
        return f"RegNet_{m.group(1).upper()}_{m.group(2).upper()}_Weights", _IMAGENET
    return None


TRANSFORMS = {"Scale": "Resize", "RandomSizedCrop": "RandomResizedCrop"}


class PretrainedFixer(RuleFixer):
    PATTERN = CALL_PATTERN

    def visit(self, node, results) -> None:
        for site in iter_calls(self.ctx, node):
            q = site.qual or ""
            if not q.startswith("torchvision.models.") or not site.callee:
                continue
            pre = [a for a in site.args if a.name in ("pretrained", "pretrained_backbone")]
            positional = [a for a in site.args if a.name is None and not a.star]
            arch = q.rsplit(".", 1)[-1]
            if not pre and not (positional and _enum(arch)):
                continue
            if (
                any(a.name == "pretrained_backbone" for a in pre)
                or any(a.star for a in site.args)
                or len(positional) > 2
            ):
                self.report(
                    node,
                    f"`{site.callee}(pretrained...)`: the pretrained/pretrained_backbone parameters are "
                    "deprecated since torchvision 0.13 (removed later): pass weights=<Model>_Weights.<V1> "
                    "and weights_backbone=... by hand",
                    MANUAL,
                )
                continue
            arg = pre[0] if pre else positional[0]
            info = _enum(arch)
            val = literal(arg.value)
            if info is None:
                if val is False:
                    info = ("", "")
                else:
                    self.report(
                        node,
                        f"`{site.callee}(pretrained=...)` is deprecated since torchvision 0.13: pass "
                        f"weights=<the {arch} weights enum>.<the V1 value> (not DEFAULT, which may be newer, "
                        "different weights); this architecture is not in torchmigrate's table",
                        MANUAL,
                    )
                    continue
            enum, version = info
            head = (
                site.callee.rsplit(".", 1)[0] + "." if "." in site.callee else "torchvision.models."
            )
            ref = f"{head}{enum}.{version}"
            if val is False:
                value, safety = "None", SAFE
                msg = "`pretrained=False` is deprecated since torchvision 0.13: `weights=None` is the same"
            elif val is True:
                value, safety = ref, SAFE
                msg = (
                    f"`pretrained=True` is deprecated since torchvision 0.13: it loaded {enum}.{version}; "
                    f"`weights={enum}.{version}` loads the same checkpoint (DEFAULT may be a newer, "
                    "different V2 checkpoint, so V1 is spelled out)"
                )
            else:
                value, safety = f"{ref} if {text(arg.value)} else None", UNSAFE
                msg = (
                    f"`pretrained=<expr>` is deprecated since torchvision 0.13: use weights={enum}.{version} "
                    "when true, None otherwise"
                )
            self._fix(
                node,
                site,
                arg,
                value,
                msg,
                safety,
                needs_import=("." not in site.callee and val is not False),
            )

    def _fix(self, node, site, arg, value, msg, safety, needs_import) -> None:
        tree = self.ctx.tree
        positional = [a for a in site.args if a.name is None and not a.star]

        def fix(arg=arg, tree=tree, positional=positional):
            kw = Node(
                syms.argument,
                [Leaf(token.NAME, "weights"), Leaf(token.EQUAL, "="), parse_expr(value)],
            )
            kw.prefix = arg.node.prefix
            if arg.name is None and len(positional) == 2:
                prog = positional[1]
                pk = Node(
                    syms.argument,
                    [Leaf(token.NAME, "progress"), Leaf(token.EQUAL, "="), prog.value.clone()],
                )
                pk.prefix = prog.node.prefix
                prog.node.replace(pk)
            arg.node.replace(kw)
            if needs_import:
                ensure_import(tree, "torchvision")

        args = ", ".join((f"weights={value}" if a is arg else text(a.node)) for a in site.args)
        self.report(node, msg, safety, fix=fix, suggestion=f"{site.callee}({args})")


class TransformsFixer(RuleFixer):
    PATTERN = "power< any trailer< '.' any > any* >"

    def visit(self, node, results) -> None:
        kids = node.children
        for i in range(1, len(kids)):
            if not is_dot_trailer(kids[i]):
                break
            name = kids[i].children[1].value
            if name not in TRANSFORMS:
                continue
            prefix = "".join(str(c) for c in kids[:i])[len(kids[0].prefix) :]
            q = self._qual(prefix)
            if q not in ("torchvision.transforms", "torchvision.transforms.transforms"):
                continue
            leaf = kids[i].children[1]
            new = TRANSFORMS[name]

            def fix(leaf=leaf, old=name, new=new):
                if leaf.value != old:
                    return False
                leaf.value = new

            self.report(
                leaf,
                f"transforms.{name} was a deprecated alias of transforms.{new} (removed in later "
                f"torchvision): transforms.{new} is the same transform",
                SAFE,
                fix=fix,
                suggestion=f"{prefix}.{new}",
            )

    def _qual(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        origin = self.ctx.imports.get(head)
        if origin is None:
            return dotted
        return origin + ("." + rest if rest else "")


class TransformImportFixer(RuleFixer):
    PATTERN = "import_from< 'from' module=any 'import' any* >"

    def visit(self, node, results) -> None:
        mod = str(results["module"]).strip()
        if mod not in ("torchvision.transforms", "torchvision.transforms.transforms"):
            return
        for leaf in node.leaves():
            if leaf.type == token.NAME and leaf.value in TRANSFORMS:
                self.report(
                    leaf,
                    f"`from {mod} import {leaf.value}`: {leaf.value} was removed from torchvision; "
                    f"import {TRANSFORMS[leaf.value]} (the same transform) and rename its uses",
                    MANUAL,
                )


RULE = Rule(
    id="TM211",
    name="torchvision-pretrained",
    short="torchvision `pretrained=` / renamed transform (deprecated since 0.13)",
    summary="Use `weights=<Model>_Weights.IMAGENET1K_V1` instead of `pretrained=True`; renamed transforms",
    why=(
        "torchvision 0.13 deprecated `pretrained=`/`pretrained_backbone=` in favour of weight "
        "enums (`The parameter 'pretrained' is deprecated since 0.13 and may be removed in the "
        "future, please use 'weights' instead.`); `transforms.Scale` and "
        "`transforms.RandomSizedCrop` were deprecated aliases of `Resize` and "
        "`RandomResizedCrop` and were removed. (From torchvision's release notes and issue "
        "reports; torchvision is not installed here.)"
    ),
    safety=SAFE,
    doc="""
## What it does
* `models.resnet50(pretrained=True)` -> `models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)`
  for the classification architectures (resnet*, vgg*(_bn), alexnet,
  densenet*, squeezenet1_0/1_1, inception_v3, googlenet, mobilenet_v2/v3,
  shufflenet_v2_x0_5/x1_0, resnext*, wide_resnet*, mnasnet0_5/1_0,
  efficientnet_b0-b7, regnet_x/y_*) and the COCO detection/segmentation
  models (`COCO_V1`, `COCO_WITH_VOC_LABELS_V1`).
* `pretrained=False` -> `weights=None`.
* `pretrained=<expr>` -> `weights=<enum> if <expr> else None` (unsafe).
* `transforms.Scale` -> `transforms.Resize`, `transforms.RandomSizedCrop` ->
  `transforms.RandomResizedCrop`.
* `torch.utils.model_zoo.load_url` is left alone (an alias of
  `torch.hub.load_state_dict_from_url` that still works).

## Fix safety
`safe` for literal `True`/`False` on a known architecture: the legacy flag
loaded exactly the `*_V1` checkpoint (never `DEFAULT`, which is `IMAGENET1K_V2`
for e.g. resnet50 -- different weights and accuracy).  Non-literal values are
`unsafe`; unknown architectures, `pretrained_backbone=`, quantized models,
and `from torchvision.transforms import Scale` are `manual`.

## Differences from TorchFix
TorchFix TOR201 also rewrites literal `pretrained=True/False`.  Where it
chooses `DEFAULT` for some models, we always pin the checkpoint `pretrained=True`
loaded (`*_V1`), and we also handle non-literal flags (unsafe, conditional)
and the removed transform aliases.
""",
    examples=(
        Example(
            before="from torchvision import models\nnet = models.resnet50(pretrained=True)\n",
            after="from torchvision import models\nnet = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)\n",
            title="pretrained=True pins V1",
        ),
        Example(
            before="import torchvision.models as models\nnet = models.vgg16_bn(pretrained=False)\n",
            after="import torchvision.models as models\nnet = models.vgg16_bn(weights=None)\n",
            title="pretrained=False",
        ),
        Example(
            before="from torchvision import models\nnet = models.densenet121(pretrained=args.pretrained)\n",
            after=(
                "from torchvision import models\n"
                "net = models.densenet121(weights=models.DenseNet121_Weights.IMAGENET1K_V1 if args.pretrained else None)\n"
            ),
            unsafe_fixes=True,
            title="non-literal flag",
        ),
        Example(
            before="import torchvision.transforms as transforms\nt = transforms.Scale(256)\n",
            after="import torchvision.transforms as transforms\nt = transforms.Resize(256)\n",
            title="renamed transform",
        ),
        Example(
            before="from torchvision import models\nnet = models.convnext_tiny(pretrained=True)\n",
            findings=("manual",),
            title="architecture not in the table",
        ),
        Example(
            before="from mylib import models\nnet = models.resnet50(pretrained=True)\n",
            title="not torchvision: untouched",
        ),
    ),
    fixers=(PretrainedFixer, TransformsFixer, TransformImportFixer),
    tokens=("torchvision",),
)
