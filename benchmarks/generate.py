"""Realistic synthetic 项目支出绩效自评表 for the benchmarks (and a smoke test).

    python benchmarks/generate.py OUT_DIR [--n 100] [--seed 0] [--xls-share 0.05]

Each form is built with :mod:`perfxl.write.formbuilder` in the standard layout, with variety: departments
and projects, 8–30 三级指标 spread over 产出/效益/满意度 with their 二级 labels, quantitative
targets (≥95%, ≤30天, 5个, ≤80万元) scored by the rule, qualitative ones, 扣分 with 偏差原因,
renamed columns (权重, 调整后预算数 …), no 年初预算数, amounts in 元, a 报告信息 sheet, narrative
rows. About 30 % of the forms carry one or two injected mistakes (wrong 总分, weights not adding up
to 100, 已完成 yet deducted, missing 偏差原因, wrong 执行率, 资金 parts not adding up); the rest are
consistent. A small share is converted to .xls with one LibreOffice call (skipped without soffice).

Form ``i`` depends only on (seed, i), so the first 100 forms of ``n=1000`` are the ``n=100`` set.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from perfxl.write.formbuilder import FormSpec, IndicatorSpec, build_workbook  # noqa: E402
from perfxl.numbers import round_half_up  # noqa: E402

CITIES = ["益阳市", "常德市", "岳阳市", "株洲市", "衡阳市", "邵阳市", "怀化市", "永州市", "郴州市", "娄底市", "示例市", "长沙县", "浏阳市", "宁乡市"]

# department → projects (name, what the goal says)
DEPARTMENTS: dict[str, list[tuple[str, str]]] = {
    "教育局": [("农村义务教育学校营养改善计划", "为农村义务教育阶段学生提供营养膳食补助，改善学生营养健康状况"),
              ("公办幼儿园建设项目", "新建、改扩建公办幼儿园，增加普惠性学位供给"),
              ("教师培训专项", "开展中小学教师全员培训，提升教师专业能力")],
    "卫生健康委员会": [("基本公共卫生服务项目", "为城乡居民免费提供基本公共卫生服务，提高居民健康水平"),
                  ("乡镇卫生院能力提升工程", "改善乡镇卫生院基础设施和设备条件，提升基层诊疗能力"),
                  ("疫苗冷链体系建设", "完善疫苗冷链储存和运输设施，保障疫苗接种安全")],
    "交通运输局": [("农村公路提质改造工程", "完成农村公路提质改造，改善群众出行条件"),
              ("城乡公交一体化补贴", "保障城乡公交线路正常运营，降低群众出行成本"),
              ("危桥改造项目", "完成辖区危旧桥梁改造，消除交通安全隐患")],
    "农业农村局": [("高标准农田建设项目", "建设高标准农田，提高耕地质量和粮食综合生产能力"),
              ("农村人居环境整治", "推进农村厕所革命和生活垃圾治理，改善农村人居环境"),
              ("动物疫病防控经费", "开展重大动物疫病强制免疫和监测，防止疫情发生")],
    "住房和城乡建设局": [("老旧小区改造项目", "完成老旧小区改造，改善居民居住条件"),
                   ("城市排水防涝设施建设", "新建改造排水管网，提升城市防涝能力"),
                   ("保障性住房租赁补贴", "向符合条件的家庭发放租赁补贴，保障住房困难群众基本住房需求")],
    "民政局": [("城乡低保资金", "按时足额发放城乡最低生活保障金，保障困难群众基本生活"),
            ("养老服务体系建设", "建设社区居家养老服务中心，提升养老服务能力"),
            ("困难残疾人生活补贴", "为困难残疾人发放生活补贴和重度残疾人护理补贴")],
    "生态环境局": [("大气污染防治专项", "开展大气污染源治理和监测，改善环境空气质量"),
              ("饮用水水源地保护项目", "开展饮用水水源地规范化建设，保障饮水安全")],
    "文化旅游广电局": [("公共文化服务体系建设", "推进公共文化场馆免费开放和群众文化活动"),
                 ("广播电视村村通工程", "完成广播电视户户通设备安装和维护")],
    "水利局": [("小型水库除险加固", "完成小型病险水库除险加固，保障水库安全度汛"),
            ("农村饮水安全巩固提升工程", "巩固提升农村饮水安全水平，提高自来水普及率")],
    "行政审批服务局": [("智慧大脑+政务服务项目", "建设政务云和数据共享平台，提高政府服务能力"),
                 ("政务服务中心运行经费", "保障政务服务大厅正常运行，提升办事效率")],
}

# (二级, 三级 name, kind, parameters). Kinds:
#   count   — forward quantitative, target "≥{n}{unit}" (or "{n}{unit}"), actual around it
#   percent — forward, target "≥{p}%"
#   reverse — "≤{n}{unit}" (days, 万元, 次)
#   qual    — qualitative target text, actual "已完成" / "达成" / 部分完成 wording
OUTPUT_POOL = [
    ("数量指标", "培训人次", "count", ("人次", 200, 5000)),
    ("数量指标", "覆盖乡镇数量", "count", ("个", 5, 40)),
    ("数量指标", "改造完成数量", "count", ("个", 3, 60)),
    ("数量指标", "新建设施面积", "count", ("平方米", 500, 20000)),
    ("数量指标", "受助对象人数", "count", ("人", 100, 20000)),
    ("数量指标", "发放补贴户数", "count", ("户", 50, 8000)),
    ("数量指标", "道路改造里程", "count", ("公里", 5, 120)),
    ("数量指标", "设备购置台数", "count", ("台", 5, 300)),
    ("质量指标", "工程验收合格率", "percent", (95, 100)),
    ("质量指标", "资金发放准确率", "percent", (98, 100)),
    ("质量指标", "设备完好率", "percent", (90, 100)),
    ("质量指标", "档案资料规范", "qual", ("档案资料齐全、规范", "已完成")),
    ("质量指标", "项目建设符合设计标准", "qual", ("符合设计和规范要求", "达成")),
    ("时效指标", "项目完工时间", "qual", ("{year}年12月底前完成", "已完成")),
    ("时效指标", "资金拨付及时率", "percent", (95, 100)),
    ("时效指标", "补贴发放时限", "reverse", ("天", 15, 60)),
    ("时效指标", "问题整改时限", "reverse", ("个工作日", 5, 30)),
    ("成本指标", "项目成本控制", "reverse", ("万元", 30, 800)),
    ("成本指标", "单位建设成本", "reverse", ("元/平方米", 800, 3000)),
    ("成本指标", "预算控制在批复范围内", "qual", ("不超过批复预算", "已完成")),
]
BENEFIT_POOL = [
    ("经济效益指标", "带动相关产业发展", "qual", ("促进地方经济发展", "达成")),
    ("经济效益指标", "节约群众办事成本", "qual", ("降低群众办事成本", "已完成")),
    ("社会效益指标", "受益群众人数", "count", ("人", 1000, 200000)),
    ("社会效益指标", "群众知晓率", "percent", (80, 95)),
    ("社会效益指标", "公共服务水平提升", "qual", ("公共服务水平明显提升", "达成")),
    ("社会效益指标", "安全事故发生次数", "reverse", ("次", 1, 3)),
    ("生态效益指标", "环境质量改善", "qual", ("区域环境质量持续改善", "达成")),
    ("生态效益指标", "污染物减排率", "percent", (5, 20)),
    ("可持续影响指标", "长效管理机制建立", "qual", ("建立长效运行管护机制", "已建立")),
    ("可持续影响指标", "设施持续使用年限", "count", ("年", 10, 30)),
]
SATISFACTION_POOL = [
    ("服务对象满意度指标", "服务对象满意度", "percent", (85, 95)),
    ("服务对象满意度指标", "群众满意度", "percent", (85, 95)),
    ("服务对象满意度指标", "受益对象满意度", "percent", (80, 95)),
]
DEVIATIONS = [
    "受天气影响部分工程进度滞后，下一步将加强调度，确保按期完成",
    "部分资金到位较晚，已督促及时拨付",
    "宣传覆盖面不够，下一步加大宣传力度",
    "个别乡镇配合不到位，将加强统筹协调",
    "前期论证不充分导致目标偏高，今后合理设置绩效目标",
    "施工期间部分群众意见较大，将改进施工组织、错峰施工",
]
PARTIAL_ACTUALS = ["基本完成", "部分完成，尚有收尾工程", "有待完善", "正在推进中"]
MISTAKES = ("total", "weights", "done-deducted", "deviation", "rate", "funds-sum")

OUT_LABELS = ["产出指标\n（50分）", "产出指标\n(50分)", "产出指标（50分）"]
BEN_LABELS = ["效益指标\n（30分）", "效益指标\n(30分)", "效益指标（30分）"]
SAT_LABELS = ["满意度\n指标\n（10分）", "满意度指标\n（10分）", "满意度指标(10分)"]


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` points over ``parts`` indicators as whole numbers, larger ones first."""
    base, extra = divmod(total, parts)
    weights = [base + (1 if i < extra else 0) for i in range(parts)]
    rng.shuffle(weights)
    return weights


def _indicator(entry, level1: str, weight: int, year: int, rng: random.Random) -> IndicatorSpec:
    """One consistent indicator: score by the rule, 偏差原因 whenever points are deducted."""
    level2, name, kind, params = entry
    label2 = level2 if rng.random() < 0.8 else level2.replace("指标", "\n指标")
    deducted = rng.random() < 0.18
    deviation = None
    if kind == "count":
        unit, low, high = params
        target = rng.randint(low, high)
        actual = round(target * rng.uniform(0.75, 0.97)) if deducted else round(target * rng.uniform(1.0, 1.15))
        actual = max(actual, 1)
        target_text = f"≥{target}{unit}" if rng.random() < 0.7 else f"{target}{unit}"
        actual_text = f"{actual}{unit}"
        score = round_half_up(min(actual / target, 1.0) * weight, 2)
    elif kind == "percent":
        low, high = params
        target = rng.randint(low, high)
        actual = round(target * rng.uniform(0.85, 0.98), 1) if deducted else min(100, target + rng.randint(0, 5))
        target_text = f"≥{target}%" if target < 100 else "100%"
        actual_text = f"{actual:g}%"
        score = round_half_up(min(actual / target, 1.0) * weight, 2)
    elif kind == "reverse":
        unit, low, high = params
        target = rng.randint(low, high)
        actual = target + rng.randint(1, max(1, target // 3)) if deducted else rng.randint(max(0, target // 2), target)
        target_text = f"≤{target}{unit}"
        actual_text = f"{actual}{unit}"
        score = round_half_up(min(target / actual, 1.0) * weight, 2) if actual > 0 else float(weight)
    else:
        target_text, done = params
        target_text = target_text.format(year=year)
        if deducted:
            actual_text = rng.choice(PARTIAL_ACTUALS)
            score = round_half_up(weight * rng.choice((0.8, 0.85, 0.9)), 2)
        else:
            actual_text = done
            score = float(weight)
    if score < weight - 0.005:
        deviation = rng.choice(DEVIATIONS)
    return IndicatorSpec(level1, label2, name, target_text, actual_text, weight, _plain(score), deviation)


def _plain(value: float):
    return int(value) if float(value).is_integer() else value


def form_spec(index: int, seed: int = 0) -> tuple[FormSpec, str, list[str]]:
    """(spec, file stem, injected mistakes) of form ``index``; deterministic in (seed, index)."""
    rng = random.Random(f"perfxl-bench-{seed}-{index}")
    year = rng.choice((2020, 2021, 2022, 2023))
    city = rng.choice(CITIES)
    department_name = rng.choice(list(DEPARTMENTS))
    project, goal = rng.choice(DEPARTMENTS[department_name])
    department = f"{city}{department_name}"

    count = rng.randint(8, 30)
    n_sat = 1 if count < 14 else rng.randint(1, 2)
    n_ben = max(2, min(len(BENEFIT_POOL), round(count * rng.uniform(0.25, 0.35))))
    n_out = count - n_sat - n_ben
    out_entries = [rng.choice(OUTPUT_POOL) for _ in range(n_out)]
    out_entries.sort(key=lambda e: [p[0] for p in OUTPUT_POOL].index(e[0]))
    ben_entries = sorted(rng.sample(BENEFIT_POOL, n_ben), key=BENEFIT_POOL.index)
    sat_entries = rng.sample(SATISFACTION_POOL, n_sat)
    label_style = rng.randrange(3)
    out_l1, ben_l1, sat_l1 = OUT_LABELS[label_style], BEN_LABELS[label_style], SAT_LABELS[label_style]
    indicators = (
        [_indicator(e, out_l1, w, year, rng) for e, w in zip(out_entries, _split(50, n_out, rng))]
        + [_indicator(e, ben_l1, w, year, rng) for e, w in zip(ben_entries, _split(30, n_ben, rng))]
        + [_indicator(e, sat_l1, w, year, rng) for e, w in zip(sat_entries, _split(10, n_sat, rng))]
    )
    # Numbering repeated 三级 names keeps them readable (培训人次2 …).
    seen: dict[str, int] = {}
    for ind in indicators:
        seen[ind.level3] = seen.get(ind.level3, 0) + 1
        if seen[ind.level3] > 1:
            ind.level3 = f"{ind.level3}（{seen[ind.level3]}）"

    # Funds in 万元 (or 元 for some forms): current + carryover (+ other).
    in_yuan = rng.random() < 0.1
    current = round(rng.uniform(20, 3000), 2)
    carryover = round(rng.uniform(0, current * 0.3), 2) if rng.random() < 0.5 else None
    other = round(rng.uniform(0, current * 0.1), 2) if rng.random() < 0.2 else None
    budget = round(current + (carryover or 0) + (other or 0), 2)
    rate = rng.uniform(0.82, 1.0) if rng.random() < 0.7 else 1.0
    initial = round(budget * rng.uniform(0.8, 1.0), 2)
    scale = 10000 if in_yuan else 1

    def money(value):
        return None if value is None else round(value * scale, 2)

    def spent_of(value):
        return None if value is None else round(value * rate, 2)

    # 执行数 of the parts at the same rate; 年度资金总额 is their sum, so the block adds up.
    carry_spent, other_spent = spent_of(carryover), spent_of(other)
    current_spent = round(current * rate, 2)
    executed = round(current_spent + (carry_spent or 0) + (other_spent or 0), 2)
    exact_rate = executed / budget
    budget_score = round_half_up(min(exact_rate, 1.0) * 10, 2)
    funds_parts = {
        "funds_current": (money(initial), money(current), money(current_spent), None, None, None),
        "funds_carryover": (None, money(carryover), money(carry_spent), None, None, None) if carryover is not None else (None,) * 6,
        "funds_other": (None, money(other), money(other_spent), None, None, None) if other is not None else (None,) * 6,
    }
    rate_cell: object = round(exact_rate, 4) if rng.random() < 0.6 else f"{round_half_up(exact_rate * 100, 2):.2f}%"
    funds = {"funds_total": (money(initial), money(budget), money(executed), 10, rate_cell, budget_score), **funds_parts}

    total_score = round_half_up(budget_score + sum(float(i.score) for i in indicators), 2)
    spec = FormSpec(
        title=f"{year}年度项目支出绩效自评表" if rng.random() < 0.7 else "项目支出绩效自评表",
        subtitle=None if rng.random() < 0.6 else f"（{year}年度）",
        project=f"{city}{project}",
        department=department,
        implementer=department if rng.random() < 0.5 else f"{city}{department_name.replace('局', '')}事务中心",
        funds=funds,
        goal_expected=f"{goal}。年度计划投入资金{budget:g}万元。",
        goal_actual=f"已按计划实施，{goal}，全年执行资金{executed:g}万元。",
        blocks=[indicators],
        total_weight=100,
        total_score=_plain(total_score),
        funds_label="项目资金\n（元）" if in_yuan else "项目资金\n（万元）",
    )
    if rng.random() < 0.3:
        spec.with_initial = False
    if rng.random() < 0.25:
        spec.label_overrides = rng.choice([
            {"分值": "权重"},
            {"全年\n预算数": "调整后预算数"},
            {"实际\n完成值": "完成值", "偏差原因分析及改进措施": "未完成原因分析"},
            {"全年\n预算数": "全年预算数（A）", "全年\n执行数": "全年执行数（B）", "执行率": "执行率（B/A）"},
            {"总分": "合计"},
        ])
    if rng.random() < 0.15:
        spec.leading_rows = [f"填报单位（盖章）：{department}　　　　填报日期：{year + 1}年3月"]
    if rng.random() < 0.15:
        # The seed's quirk: the 满意度 block starts a second 绩效指标 block.
        sat_count = len(sat_entries)
        spec.blocks = [indicators[:-sat_count], indicators[-sat_count:]]
    if rng.random() < 0.4:
        spec.report_info = {
            "项目概况": f"{project}是{department}{year}年度重点项目，{goal}。",
            "评价过程": "单位成立绩效自评工作小组，收集整理项目资料，对照绩效目标逐项核实完成情况，形成自评结论。",
            "存在的问题": "部分指标设置不够细化，项目实施过程中的跟踪监控有待加强。",
            "改进措施": "进一步细化量化绩效目标，加强绩效运行监控，及时纠正偏差。",
        }
    if rng.random() < 0.1:
        spec.narrative_rows = {"评价结论": "项目总体完成较好。", "存在问题": "个别指标未完全达成。", "改进措施": "加强过程管理。"}

    mistakes = _inject_mistakes(spec, indicators, rng) if rng.random() < 0.3 else []
    stem = f"{index:04d}_{year}年度{city}{project}绩效自评表"
    return spec, stem, mistakes


def _inject_mistakes(spec: FormSpec, indicators: list[IndicatorSpec], rng: random.Random) -> list[str]:
    chosen = rng.sample(MISTAKES, rng.choice((1, 1, 2)))
    for mistake in chosen:
        if mistake == "total":
            spec.total_score = _plain(round_half_up(float(spec.total_score) + rng.choice((-3, -2, -1, 1, 2, 5)), 2))
        elif mistake == "weights":
            victim = rng.choice(indicators)
            victim.weight += rng.choice((1, 2, 5))
        elif mistake == "done-deducted":
            victim = rng.choice(indicators)
            victim.actual, victim.score = "已完成", _plain(max(0, victim.weight - rng.choice((1, 2))))
            victim.deviation = victim.deviation or rng.choice((None, "个别环节有待改进"))
        elif mistake == "deviation":
            victim = rng.choice(indicators)
            victim.actual, victim.score, victim.deviation = rng.choice(PARTIAL_ACTUALS), _plain(round_half_up(victim.weight * 0.8, 2)), None
        elif mistake == "rate":
            total = list(spec.funds["funds_total"])
            rate = total[4] if isinstance(total[4], float) else float(str(total[4]).rstrip("%")) / 100
            total[4] = round(min(rate + rng.choice((0.03, 0.05, -0.04)), 1.2), 4)
            spec.funds["funds_total"] = tuple(total)
        elif mistake == "funds-sum":
            total = list(spec.funds["funds_total"])
            scale = 10000 if "（元）" in spec.funds_label else 1
            total[1] = round(total[1] + rng.choice((10, 50, 100)) * scale, 2)
            spec.funds["funds_total"] = tuple(total)
    return chosen


def generate(folder: Path | str, n: int, seed: int = 0, xls_share: float = 0.05, workers: int = 1) -> list[Path]:
    """Write ``n`` forms into ``folder``; return their paths in index order.

    About ``xls_share`` of them are converted to .xls with a single LibreOffice call (they stay
    .xlsx when soffice is not installed or the conversion fails). ``workers`` > 1 builds the
    .xlsx files in that many processes (the files are the same either way).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tasks = [(folder, index, seed) for index in range(n)]
    if workers > 1 and n > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            paths = list(pool.map(_write_form, tasks, chunksize=16))
    else:
        paths = [_write_form(task) for task in tasks]
    to_xls = [i for i in range(n) if random.Random(f"perfxl-bench-xls-{seed}-{i}").random() < xls_share]
    if to_xls:
        converted = _convert_to_xls([paths[i] for i in to_xls], folder)
        for index in to_xls:
            xls = converted.get(paths[index])
            if xls is not None:
                paths[index].unlink()
                paths[index] = xls
    return paths


def _write_form(task: tuple[Path, int, int]) -> Path:
    folder, index, seed = task
    spec, stem, _ = form_spec(index, seed)
    path = folder / f"{stem}.xlsx"
    build_workbook(spec).save(path)
    return path


def _convert_to_xls(sources: list[Path], folder: Path) -> dict[Path, Path]:
    """One ``soffice --convert-to xls`` call over all ``sources``; source → .xls path for those that worked."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return {}
    with tempfile.TemporaryDirectory(prefix="perfxl-bench-lo-") as scratch:
        profile = Path(scratch) / "profile"
        outdir = Path(scratch) / "out"
        try:
            subprocess.run(
                [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                 "--convert-to", "xls", "--outdir", str(outdir), *map(str, sources)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120 + 10 * len(sources), check=False,
                env={**os.environ, "HOME": str(profile)},
            )
        except (OSError, subprocess.SubprocessError):
            return {}
        done = {}
        for source in sources:
            produced = outdir / f"{source.stem}.xls"
            if produced.is_file() and produced.stat().st_size > 0:
                target = folder / produced.name
                shutil.move(str(produced), target)
                done[source] = target
        return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write synthetic 自评表 for the perfxl benchmarks.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--xls-share", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=1, help="processes building the .xlsx files")
    args = parser.parse_args(argv)
    paths = generate(args.folder, args.n, args.seed, args.xls_share, args.workers)
    xls = sum(1 for p in paths if p.suffix == ".xls")
    print(f"{len(paths)} forms in {args.folder} ({xls} .xls)")


if __name__ == "__main__":
    main()
