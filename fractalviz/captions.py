"""Captions for fractalviz's HTML outputs (the animations and the explorer).

A caption turns an output into an HTML figure,
`<figure>output<figcaption>caption</figcaption> </figure>`, so that the book's readers,
and screen readers, get a sentence on what it shows. The caption is escaped: it is text,
never markup.
"""

import html


def check_caption(caption):
    """Returns `caption` if it is `None` or a string; raises `TypeError` otherwise.

    Args:
        caption: the caption to check.

    Returns:
        `caption`, unchanged.

    Example:

    >>> check_caption("Drop-path on C = 4.")
    'Drop-path on C = 4.'
    >>> check_caption(4)
    Traceback (most recent call last):
    ...
    TypeError: Expected `caption` to be a str or None. Received: caption=4 (type int)
    """
    if caption is not None and not isinstance(caption, str):
        raise TypeError(
            "Expected `caption` to be a str or None. Received: "
            f"caption={caption!r:.80} (type {type(caption).__name__})"
        )
    return caption


def with_caption(body, caption):
    """Returns the HTML `body` as a captioned `<figure>`, or `body` unchanged if
    `caption` is None.

    Args:
        body: str, the HTML of the output.
        caption: str or `None`, the caption as plain text (it is HTML-escaped).

    Returns:
        The HTML, as a string.

    Example:

    >>> with_caption("<svg></svg>", "Paths <= 5 & more")
    '<figure class="fractalviz-figure"><svg></svg><figcaption>Paths &lt;= 5 &amp;
    more</figcaption></figure>'
    >>> with_caption("<svg></svg>", None)
    '<svg></svg>'
    """
    check_caption(caption)
    if caption is None:
        return body
    return (
        f'<figure class="fractalviz-figure">{body}'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
