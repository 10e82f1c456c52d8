"""The demo programme's text: its description and four readings written from the four presentations."""
from textwrap import dedent

ORGANISER: str = "ICPA and its Practice Transfer Advisory Committee"

DESCRIPTION: str = dedent(
    """\
    Correctional services around the world are recognising the value of people with lived experience of
    prison, who support others as peers, mentors, caseworkers and counsellors, both inside and in the
    community. This Learning Academy looks at the research behind peer involvement and profiles model
    programmes from the US, Canada and Norway, with the views of people with lived experience at the centre.

    The academy runs as two 90-minute online sessions, two weeks apart: speaker presentations first, then
    a question-and-answer discussion about the opportunities and challenges of bringing peer mentoring and
    peer support more fully into correctional practice. Between the sessions you will have reading material
    to deepen your learning. Everyone who attends both sessions will receive a certificate of attendance.
    """
).strip()

_READING_1 = dedent(
    """\
    Every year, more than 600,000 people are released from incarceration in the United States. Many of
    them return to prison, and that pattern tells us that the usual ways of supporting people coming home
    are not enough. This first presentation asks a simple question: what happens when the knowledge that
    comes from living through prison and release is treated as real expertise?

    ## Learning from lived experience

    The presentation draws on research from a Second Chance Act grant awarded to HOPE for Prisoners, a
    reentry programme in the United States. The researchers interviewed people who had been incarcerated
    and listened to what had helped them. Several themes came through: the influence of programme staff
    and mentors, the difference made by peer-led work, and the ways lived experience can be turned into
    knowledge that others can act on.

    The findings are encouraging. Peer-led programmes build trust, because the person offering guidance has
    walked a similar road. Their advice tends to be practical and relevant. Over time, this kind of support
    helps people settle back into their communities, and it does so in a way that is affordable and can be
    sustained.

    ## From the classroom to policy

    The researchers argue that people with lived experience should help design, run and evaluate reentry
    programmes, not just take part in them. When they do, programmes become more responsive, fairer and
    more effective. The presentation also gives a word of caution: including people's stories is not the
    same as respecting their knowledge. There is a risk of treating people with firsthand experience of
    the justice system as examples to be displayed rather than as partners to be heard.

    The work also looks at education. Criminology and criminal justice courses, the presenters say, should
    include lived experience perspectives. This enriches research and better prepares the professionals of
    the future. It matters where someone's experience comes from, what setting it speaks to, and what it
    specialises in, and teaching in this way needs clear ethical care.

    The presentation ends with a call to universities, practitioners and institutions to make lasting
    commitments that amplify the voices of people directly affected by the justice system. The aim is a
    model of reintegration that does not simply acknowledge lived experience but values it and places it
    at the centre.

    ## Questions to keep in mind

    - What kinds of knowledge can only come from having lived through prison and release?
    - How can a programme involve people with lived experience without turning them into a showcase?
    - Where, in your own setting, could lived experience shape design, delivery or evaluation?
    """
).strip()

_READING_2 = dedent(
    """\
    WayBack is an organisation in Norway that was founded by former prisoners. Its message is captured in
    its motto: your choices, your freedom, your responsibility. This reading introduces how it began and
    why it places people with lived experience at the heart of its work.

    ## How WayBack began

    In the late 1990s, many people released from prison in Norway went on to return. Are Høidal, then
    working as a mentor within the Norwegian Correctional Service, gave prisoners in Oslo prison the chance
    to form an organisation of former inmates. The first people WayBack employed were prisoners from Oslo
    prison. From that day on, one rule has held: everyone who works in WayBack must have their own
    experience of incarceration.

    This matters because of what it means to cross from prison back into society. Many people who are
    released struggle with social anxiety and a feeling that they do not belong anywhere. Most of the
    people at WayBack know that gap between prison and the outside world from the inside. Having found
    their own way through it, they can show others the path.

    ## Sponsors and community

    With the support of the foundation's sponsors, everyone who is released has the opportunity to be
    supported by a sponsor. Meeting someone who has already managed the move to freedom can give real hope
    to a person who wants to follow the same road. A sponsor at your side makes it easier to meet people,
    to find your feet and to become part of society again.

    WayBack's support is not only one-to-one. Everyone also becomes part of a wider community. Free time
    can be one of the hardest parts of life after release, so WayBack offers meaningful activities that
    fill it well. Doing things together, with people who understand, helps build hope for a future without
    prison and without crime.

    The presenter will share how WayBack works day to day and why using people with lived experience is
    so important for reintegration that lasts. As you read, notice how much of this model rests on
    relationships: on trust, on belonging, and on seeing someone who has made it through.

    ## Questions to keep in mind

    - Why might a former prisoner be especially well placed to help with social anxiety and belonging?
    - What role does free time play in staying out of prison, and how can it be made meaningful?
    - What would a good sponsor relationship look like, from both sides?
    """
).strip()

_READING_3 = dedent(
    """\
    The founder of the Louisiana Parole Project went to prison at 15. He spent 19 years inside and walked
    out at 34 with no real plan, only a burning question: how do I help the people I left behind? The
    Louisiana Parole Project, often called LPP, grew out of that question.

    ## What LPP does

    Since 2016, LPP has helped 608 people rebuild their lives after long-term incarceration. Its support is
    practical and wide-ranging: transitional housing, help finding work, mentorship and legal support. LPP
    owns and operates 39 properties for transitional and post-transitional housing, so that people coming
    home have a stable place to start.

    The work does not stop at the moment of release. LPP walks with people through their first days, months
    and years of freedom. Programmes such as its Restoration Project help clients build independence that
    lasts well beyond the early period of reentry.

    ## We are them

    What makes LPP different, in its own words, is lived experience. The organisation does not simply help
    people coming home; its staff are people who came home themselves. More than half of its 25 full-time
    employees have served time, including many who were incarcerated alongside the founder. They know what
    it is like to start again with nothing, and that understanding shapes every part of their work.

    This is a powerful idea. Services on their own can meet needs such as a bed, a job or a court date.
    But someone who has stood in the same place can offer something more: real understanding, and a living
    example that a new life is possible. For a person who has spent decades in prison, that example can
    make the difference between giving up and keeping going.

    LPP also makes a point about the wider community. When people coming home are well supported,
    communities become safer. Over the years LPP has built a network of success, and it holds that second
    chances are not only possible but necessary.

    As you read, think about how stable housing, work and relationships fit together, and about why it
    might matter so much that the people offering help have lived the same journey.

    ## Questions to keep in mind

    - What might someone leaving prison after many years need most in their first days and months?
    - Why could support from people who have served time feel different from other services?
    - How does supporting people coming home connect to the safety of a whole community?
    """
).strip()

_READING_4 = dedent(
    """\
    The 7th Step Society came to Canada in 1967. Today it runs self-help groups that meet every two weeks
    in communities across the country, from Newfoundland to British Columbia, as well as online. It has
    been described as a "peer-led support and accountability community for chronic offenders."

    ## Core Groups

    From the very beginning, the heart of the 7th Step has been its Core Groups. There are many kinds of
    self-help and support groups in the community, but the 7th Step focuses only on one thing: conflict
    with the law. That focus means the people in the room share a common ground. They understand the
    pressures, the setbacks and the changes that come with trying to leave crime behind.

    These regular meetings give people who are changing their lives a safe place to speak openly. They can
    talk about what is going well and what is hard. Others in the room, who understand these life changes
    from their own experience, offer support and honest feedback, and suggest ways to move forward. No one
    has to explain everything from the start, because the people listening have been there too.

    ## Support and accountability together

    Support alone is not the whole picture. The 7th Step also asks its members to be accountable to one
    another. The people who attend these groups are trusted throughout the carceral community, and they
    help create a space where peers hold each other to the changes they want to make. Being accountable to
    people who care about you, and who know what you are facing, can be very different from being
    accountable only to an authority.

    Above all, the 7th Step offers hope. Its "7 Steps to FREEDOM," combined with the support of the group,
    help people believe that change is possible and that they do not have to make that change alone.

    The long history of the 7th Step in Canada shows that peer-led groups can last. Meeting regularly,
    speaking honestly, and being both supported and challenged by others with similar experience is a
    simple idea, and for many people it is a lasting source of strength.

    ## Questions to keep in mind

    - Why might a group focused only on conflict with the law feel safer than a general support group?
    - How can peers balance support with holding one another accountable?
    - Where have you found hope through people who understood what you were going through?
    """
).strip()

READINGS: list[dict] = [
    {
        "title": "Experiential knowledge and peer mentoring in reentry",
        "body_markdown": _READING_1,
        "estimated_minutes": 8,
        "reflection_prompt": (
            "Think of a time when advice from someone who had been through the same thing helped you more "
            "than advice from an expert. What made their knowledge feel real and useful to you?"
        ),
        "min_words": 50,
        "max_words": 400,
    },
    {
        "title": "WayBack: your choices, your freedom, your responsibility",
        "body_markdown": _READING_2,
        "estimated_minutes": 7,
        "reflection_prompt": (
            "WayBack speaks of the gap between prison and society. What helps a person feel that they "
            "belong after a big change, and how have you seen (or experienced) that gap being bridged?"
        ),
        "min_words": 50,
        "max_words": 400,
    },
    {
        "title": "Louisiana Parole Project: the power of lived experience",
        "body_markdown": _READING_3,
        "estimated_minutes": 7,
        "reflection_prompt": (
            "LPP says, \"We don't just help people coming home - we are them.\" What does that idea mean to "
            "you, and how might it change the way support is offered in your own setting?"
        ),
        "min_words": 50,
        "max_words": 400,
    },
    {
        "title": "7th Step Society: peer-led support and accountability",
        "body_markdown": _READING_4,
        "estimated_minutes": 7,
        "reflection_prompt": (
            "Think about a group or a person that has held you accountable in a supportive way. What made "
            "that accountability feel fair, and what could peer groups learn from it?"
        ),
        "min_words": 50,
        "max_words": 400,
    },
]
