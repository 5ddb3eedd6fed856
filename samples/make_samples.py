"""Regenerate the bundled sample forms and the blank template.

    python samples/make_samples.py          # writes samples/*.xlsx and templates/自评表模板.xlsx

The seed form is the 附件 of the published 2020年度益阳智慧大脑+政务服务项目绩效自评报告, typed in as
printed: full-width spaces, the empty 一级指标 cell of the second 绩效指标 block, the 其中 row that
carries 分值/得分, 效益指标 labelled （30分） over 40 points of indicators, 总分 written as 100/92
although the parts add up to 110/102. tests/test_samples.py checks that the committed files match
what this script builds.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from perfxl.write.formbuilder import (  # noqa: E402
    DepartmentSpec, FormSpec, IndicatorSpec, blank_department_spec, blank_template_spec, build_department_workbook, build_workbook,
)

SEED_NAME = "2020年度益阳智慧大脑+政务服务项目绩效自评表.xlsx"
CLEAN_NAME = "2021年度示例项目绩效自评表（无误）.xlsx"
WITH_INFO_NAME = "2020年度益阳智慧大脑+政务服务项目绩效自评表（含报告信息）.xlsx"
TEMPLATE_NAME = "自评表模板.xlsx"
DEPARTMENT_NAME = "2022年度某县农业农村局部门整体支出绩效自评表.xlsx"
DEPARTMENT_TEMPLATE_NAME = "部门整体支出自评表模板.xlsx"

W = "　"  # the full-width space the published form is full of
GOAL = (
    "以益阳新型智慧城市“智慧大脑+政务服务”的云计算基础技术框架，为益阳新型智慧城市的整体建设奠定基础，"
    "为“互联网+政务服务”提供基础资源、数据共享开放、应用支撑的服务能力，提高政府服务能力，"
    "为后续政府治理、普惠民生、产业升级等智慧化应用的建设提供可扩展的环境。"
)
OUT = "产出指标\n\n(50分)"
BEN = "效益指标\n\n（30分）"


def seed_spec() -> FormSpec:
    block1 = [
        IndicatorSpec(OUT, "数量指标", "新增模块化机房", "完成模块化机房建设", "已完成", 5, 5, W),
        IndicatorSpec(OUT, "数量指标", "新增600KVA模块化UPS", "完成600KVA模块化UPS电源建设", "已完成", 5, 5, W),
        IndicatorSpec(OUT, "质量指标", "动环监控管理系统", "完成动环监控管理系统", "已完成", 5, 5, W),
        IndicatorSpec(OUT, "质量指标", "政务网升级改造", "完成政务网升级改造" + W, "已完成", 5, 5, W),
        IndicatorSpec(OUT, "时效指标", "全市数据共融共享", "完成全市数据共融共享", "有待完善", 10, 8, W + "进一步打通各部门政务数据，强化政务数据共享"),
        IndicatorSpec(OUT, "成本指标", "互联网+政务服务平台建成", "完成互联网+政务服务平台建设" + W, "已完成", 10, 10, W),
        IndicatorSpec(OUT, "成本指标", "建设全市政务资源管理、应用支撑、数据共享、服务保障的总枢纽",
                      "完成全市政务资源管理、应用支撑、数据共享、服务保障的建设", "已完成", 10, 8, W + "数据共享不全面，有待进一步加强数据共享"),
        IndicatorSpec(BEN, "经济效\n益指标", "统建机房基础设施", W + "完成统筹共建的基础设施，降低成本投入", "已完成", 5, 5, W),
        IndicatorSpec(BEN, "经济效\n益指标", "促进智慧城市项目建设",
                      W + "依托建设的基础设施，促进智慧产业、企业智慧化升级、电子商务等工程建设，创新发展迈上新台阶", "已完成", 5, 4,
                      W + "2020年智慧城市项目建设进度缓慢。推进力度有待加强"),
        IndicatorSpec(BEN, "社会效\n益指标", "简政放权",
                      W + "完成政务信息资源共享和业务协同，促进简政放权，加强事中事后监管，让百姓少跑腿、信息多跑路，提升益阳市的整体城市发展水平，",
                      "已完成", 10, 8, W + "各部门简政放权力度有待加强，应提高认识，加强简政放权力度"),
        IndicatorSpec(BEN, "生态效\n益指标", "节能情况",
                      W + "本项目采用国际、国内先进设备，进行网络及平台的建设，通过硬件、软件优化等措施，从耗电源头对主设备进行节能",
                      "已完成", 10, 9, W + "进一步加强节能宣传，提高节能意识"),
    ]
    block2 = [
        IndicatorSpec(W, "可持续影响指标", "项目产出能持续应用",
                      W + "完成政务资源数据共享，建成大数据中心机房，为后续智慧城市项目建设提供基础", "已完成", 10, 10, W),
        IndicatorSpec("满意度\n指标\n（10分）", "服务对象满意度指标", "实现“一窗办理、一网通办”", W + "完成“一窗办理、一网通办”", "已完成", 10, 10, W),
    ]
    return FormSpec(
        title="2020年度项目支出绩效自评表",
        subtitle=None,
        project="益阳智慧大脑+政务服务项目" + W,
        department="益阳市行政审批服务局",
        implementer="益阳市智慧城市和大数据中心",
        funds={
            "funds_total": (918, 918, 918, 10, 1, 10),
            "funds_current": (918, 918, 918, 10, 1, 10),
            "funds_carryover": (W, W, W, W, W, W),
            "funds_other": (W, W, W, W, W, W),
        },
        label_overrides={"年度资金总额": "年度资金总额" + W, "其中：当年财政拨款": "其中：当年财政拨款" + W, "实际完成情况": "实际完成情况" + W},
        goal_expected=W * 2 + GOAL,
        goal_actual=W + "建成" + GOAL,
        blocks=[block1, block2],
        total_weight=100,
        total_score=W + "92",
    )


def clean_spec() -> FormSpec:
    """A consistent form: nothing for perfxl to complain about."""
    out, ben, sat = "产出指标\n（50分）", "效益指标\n（30分）", "满意度指标\n（10分）"
    block = [
        IndicatorSpec(out, "数量指标", "改造老旧小区数量", "≥12个", "12个", 10, 10),
        IndicatorSpec(out, "数量指标", "新建停车位", "≥300个", "320个", 10, 10),
        IndicatorSpec(out, "质量指标", "工程验收合格率", "100%", "100%", 10, 10),
        IndicatorSpec(out, "时效指标", "项目完工时间", "2021年12月底前", "2021年11月完工", 10, 10),
        IndicatorSpec(out, "成本指标", "单个小区改造成本", "≤80万元", "76.5万元", 10, 10),
        IndicatorSpec(ben, "社会效益指标", "受益居民户数", "≥3000户", "3260户", 15, 15),
        IndicatorSpec(ben, "可持续影响指标", "长效管理机制建立", "建立", "已建立", 15, 15),
        IndicatorSpec(sat, "服务对象满意度指标", "居民满意度", "≥90%", "88%", 10, 9.78, "部分小区施工期间噪音扰民，下一步加强施工管理、错峰施工"),
    ]
    return FormSpec(
        title="2021年度项目支出绩效自评表",
        subtitle=None,
        project="老旧小区改造项目",
        department="示例市住房和城乡建设局",
        implementer="示例市城市更新服务中心",
        funds={
            "funds_total": (1000, 1200, 1150, 10, 0.9583, 9.58),
            "funds_current": (1000, 1100, 1050, None, 0.9545, None),
            "funds_carryover": (None, 100, 100, None, 1, None),
            "funds_other": (None, None, None, None, None, None),
        },
        goal_expected="完成12个老旧小区改造，新建停车位300个以上，改善居民居住条件。",
        goal_actual="完成12个老旧小区改造，新建停车位320个，受益居民3260户。",
        blocks=[block],
        total_weight=100,
        total_score=99.36,
    )


def with_info_spec() -> FormSpec:
    spec = seed_spec()
    spec.report_info = {
        "项目概况": "2017年8月，市人民政府第9次常务会议决定建设益阳“智慧大脑+政务服务”项目，采取竞争性磋商采购方式，"
        "中国电信集团系统集成有限责任公司（以下简称中国电信）为中标单位。项目建设内容主要包括：对智慧益阳管理中心现有机房进行扩容升级，"
        "对政务网进行升级改造，建设统一的基础资源服务平台、应用支撑层平台、信息资源平台、运营运维管理支撑平台、服务保障流程体系，"
        "建设“互联网+政务服务”创新应用，建设满足国家电子政务安全需要的三级等保安全体系。",
        "评价过程": "根据《益阳市财政局关于开展2020年度部门绩效自评工作的通知》文件要求，我单位成立了绩效评价小组，"
        "对2020年度“智慧大脑+政务服务”项目开展了绩效自评工作：做好前期准备，明确实施步骤，召开座谈会，收集核查资料，现场查看，形成结论，撰写评价报告。",
        "资金管理": "该项目资金支付严格按照合同要求，程序合规，手续齐全，不存在挤占、截留、挪用资金现象。",
        "存在的问题": "一是数据资源共享方面，仍有部分业务单位数据未进入数据资源共享平台；二是运行维护方面，驻场维护人员不足，机房管理存在薄弱环节。",
        "改进措施": "继续扩大市大数据平台数据资源归集工作；建立健全项目后期维护管理和培训考核制度，组建专业维护团队。",
        "结果应用": "我单位将继续认真履职，完成项目经费支出信息公开、项目专项资金监审等相关工作，并将绩效自评结果在我单位进行公开。",
    }
    return spec


def department_spec() -> DepartmentSpec:
    """A 部门整体支出绩效自评表 typed after the 财政部 template, with the mistake such forms are published with:
    about 80 % of the money spent, the 执行率 printed as 100 % and scored 10 of 10 (so the 总分 is 2 too high)."""
    out, ben, sat = "产出指标\n（50分）", "效益指标\n（30分）", "满意度\n指标\n（10分）"
    return DepartmentSpec(
        title="2022年度部门整体支出绩效自评表",
        unit="某县农业农村局", contact="李四", phone="0731-7654321",
        total=(1900, 2000, 1600, 10, "100%", 10),
        income=[("一般公共预算", (1800, 1850, 1500)), ("政府性基金拨款", (100, 100, 60)),
                ("纳入专户管理的非税收入拨款", (None, 50, 40)), ("其他资金", (None, None, None))],
        expenditure=[("基本支出", (1200, 1250, 1100)), ("项目支出", (700, 750, 500))],
        goal_expected="保障部门正常运转，完成高标准农田建设、农业综合生产能力提升等农业农村重点工作。",
        goal_actual="部门运转正常，新建高标准农田2万亩，重点工作按期完成。",
        indicators=[
            IndicatorSpec(out, "数量指标", "高标准农田建设面积", "≥2万亩", "2万亩", 30, 30),
            IndicatorSpec(out, "质量指标", "项目验收合格率", "100%", "100%", 20, 20),
            IndicatorSpec(ben, "社会效益指标", "农业综合生产能力", "稳步提升", "稳步提升", 30, 30),
            IndicatorSpec(sat, "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 10, 10),
        ],
        total_weight=100, total_score=100, grade="优",
        report_info={
            "部门职能": "贯彻落实党中央关于“三农”工作的方针政策，统筹推进全县农业农村经济发展和乡村振兴工作。",
            "机构设置及人员情况": "内设股室8个，下属事业单位3个；核定编制45名，年末实有在职人员42人。",
        },
    )


def build_all(samples_dir: Path = ROOT / "samples", templates_dir: Path = ROOT / "templates") -> list[Path]:
    """Write every sample and both blank templates; return their paths."""
    targets = [
        (seed_spec(), samples_dir / SEED_NAME),
        (clean_spec(), samples_dir / CLEAN_NAME),
        (with_info_spec(), samples_dir / WITH_INFO_NAME),
        (department_spec(), samples_dir / DEPARTMENT_NAME),
        (blank_template_spec(), templates_dir / TEMPLATE_NAME),
        (blank_department_spec(), templates_dir / DEPARTMENT_TEMPLATE_NAME),
    ]
    written = []
    for spec, path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        (build_department_workbook if isinstance(spec, DepartmentSpec) else build_workbook)(spec).save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in build_all():
        print(written_path.relative_to(ROOT))
