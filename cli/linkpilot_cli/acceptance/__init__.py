"""``linkpilot acceptance``: the whole story end to end against a target (the local AWS, or two real
accounts), one named check per behaviour the docs mark UNVERIFIED, a verdict table and ``report.json``.

Rooms: ``checks`` (the types) and ``catalogue`` (the checks and the verdicts), ``observe`` (what a run saw,
as observations), ``report`` (the table and the JSON), ``plan`` (the options, what an AWS run creates and
what it costs), ``sanitise`` (``--record``'s placeholders; the recorder: ``adapters.recorder``),
``aws_target``, ``aws_story`` and ``run_steps`` (the run on real accounts), ``runner`` (the entry function the
command calls). The local target's driver needs moto, so it lives in the linkpilot-local distribution
(``linkpilot_demo.acceptance``), found only when the local target is chosen.
"""
