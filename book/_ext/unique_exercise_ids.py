"""Sphinx extension: one id per element, also on pages with several exercises.

sphinx-exercise gives the content of every exercise and every solution the same id
(`exercise-content`, `solution-content`), so a chapter with three exercises repeats
them: invalid HTML, and a link or a screen reader that follows an id lands on the first
one. This renumbers them in page order (`exercise-content-1`, ...). Nothing refers to
those ids.
"""

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

SHARED_IDS = ("exercise-content", "solution-content")


class UniqueExerciseIds(SphinxPostTransform):
    default_priority = 900

    def run(self, **kwargs):
        seen = dict.fromkeys(SHARED_IDS, 0)
        for section in self.document.findall(nodes.section):
            for i, name in enumerate(section["ids"]):
                if name in seen:
                    seen[name] += 1
                    section["ids"][i] = f"{name}-{seen[name]}"


def setup(app):
    app.add_post_transform(UniqueExerciseIds)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
