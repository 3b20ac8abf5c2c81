"""One quiz call as TwiML: greet, ask each question, grade each key, say goodbye.

Grading goes through the engine's ``grade_answer`` and ``record_rating``, so an answer
by keypad lands as the same answer and card as one by SMS. Each step's TwiML is a
function of what is stored, not of the request alone: a Gather callback that Twilio
replays (same call, prompt and key) finds the prompt already answered, stores nothing,
and gets the same verdict and the same next question back.

The webhooks (``app.web.webhooks.voice``) and the simulator's transcript both call
``start`` and ``answer``; neither knows anything the other does not.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select
from twilio.twiml.voice_response import VoiceResponse

from app import languages
from app.journeys import checkins, milestones
from app.learning import fitting, prompt_kinds
from app.learning.engine import grade_answer, record_rating
from app.learning.parsing import normalize, parse_choice, parse_number
from app.learning.policy import Policy
from app.learning.prompt_kinds import QUESTION_KINDS, VOICE_KINDS
from app.learning.prompts import mark_sent, module_of, pending_prompt
from app.learning.texts import text_in
from app.models import Answer, Feedback, Item, Learner, Module, Pack, Prompt, VoiceCall
from app.voice import texts
from app.voice.calls import end_call, next_contact_after, prompts_of, release
from app.voice.settings import VoiceOptions, current_options, voice_for
from app.voice.twiml import Part, Speaker, answer_url, audio_url, hang_up

RATING_MAX = 5
# Spoken numbers a speech recogniser may hand back instead of digits.


@dataclass(frozen=True)
class Env:
    """What a call needs from the app: where Twilio reaches us, the policies, the packs."""

    policy: Policy
    options: VoiceOptions
    content_dir: str | None = None

    @property
    def base_url(self) -> str:
        return self.options.base_url

    @classmethod
    def from_app(cls, app) -> Env:
        from app.learning.policy import current_policy

        return cls(policy=current_policy(app), options=current_options(app),
                   content_dir=app.config.get("CONTENT_DIR"))


class _Call:
    """One step of one call: the rows it touches and how it speaks."""

    def __init__(self, db: Session, call: VoiceCall, *, now: datetime, env: Env):
        self.db, self.call, self.now, self.env = db, call, now, env
        self.learner = db.get(Learner, call.learner_id)
        self.lang = self.learner.language
        self.speaker = Speaker(voice_for(db, self.lang))
        self.prompts = prompts_of(db, call)
        # Rows read once and used again in the step (a question's item: ``read_choice``,
        # ``grade_answer``, ``outcome``): the session's identity map keeps only what something
        # refers to, so without this each would read it again.
        self.held: list = []

    @property
    def live(self) -> bool:
        return self.call.status == "in-progress" and self.learner.active

    def next_prompt(self, after: int | None) -> Prompt | None:
        """The next prompt to put after ``after``: an open one, or one this call already put
        (so that a replayed step gets the question it got the first time)."""
        seen = after is None
        for prompt in self.prompts:
            if not seen:
                seen = prompt.id == after
                continue
            if prompt.kind == "comment":  # free text cannot be keyed in: left to SMS, or skipped
                if self.live and prompt.status == "queued" and not self.learner.uses_sms:
                    prompt.status, prompt.closed_at = "skipped", self.now
                    self.db.add(prompt)
                continue
            if prompt.kind not in VOICE_KINDS:
                continue
            if prompt.status in ("queued", "pending"):
                return prompt
            started = self.call.started_at
            if started and prompt.channel == "voice" and prompt.closed_at and prompt.closed_at >= started:
                return prompt
        return None

    def ask(self, response: VoiceResponse, prompt: Prompt, attempt: int = 1) -> None:
        if self.live and prompt.status == "queued" and pending_prompt(self.db, self.learner.id) is None:
            mark_sent(self.db, prompt, now=self.now, channel="voice")
        action = answer_url(self.env.base_url, self.call.token, prompt.id, attempt)
        if self.live and prompt.status == "pending":
            self.call.awaiting = action
            self.db.add(self.call)
        self.speaker.gather(response, self.parts(prompt), timeout=self.env.options.gather_timeout,
                            action=action)

    def parts(self, prompt: Prompt) -> list[Part]:
        if prompt.kind == "rating":
            return [Part(texts.rating(self.lang))]
        if prompt.kind == checkins.KIND:
            return [Part(checkins.spoken_text(self.lang))]
        if prompt.kind == milestones.KIND:
            return [Part(milestones.spoken_text(self.db, prompt, self.lang))]
        item = self.db.get(Item, prompt.item_id)
        parts = []
        if prompt.kind == "question" and prompt.training_session_id:
            total = sum(1 for p in self.db.exec(select(Prompt.id).where(
                Prompt.learner_id == self.learner.id, Prompt.kind == "question",
                Prompt.training_session_id == prompt.training_session_id)).all())
            parts.append(Part(texts.question_number(self.lang, prompt.seq, total)))
        recording = self.recording(item)
        parts.append(Part(text_in(item.question, self.lang), play_url=recording))
        parts += [Part(texts.option(self.lang, n, text_in(opt, self.lang)))
                  for n, opt in enumerate(item.options, start=1)]
        return parts

    def recording(self, item: Item) -> str | None:
        """The URL of the item's recording in the learner's language, if the file is there."""
        if audio_file(self.db, item, self.lang, self.env.content_dir) is None:
            return None
        return audio_url(self.env.base_url, item.id, self.lang)

    def outcome(self, response: VoiceResponse, prompt: Prompt) -> None:
        """Say what became of ``prompt``, from what is stored (the same on a replay)."""
        answer = self.db.exec(select(Answer).where(Answer.prompt_id == prompt.id)).first()
        if answer is not None:
            item = self.db.get(Item, prompt.item_id)
            self.speaker.say(response, texts.correct(self.lang) if answer.correct else texts.wrong(self.lang, item))
        elif self.db.exec(select(Feedback.id).where(Feedback.prompt_id == prompt.id)).first() is not None:
            self.speaker.say(response, texts.thanks_rating(self.lang))
        elif prompt.kind in (checkins.KIND, milestones.KIND) and prompt.status == "answered":
            self.speaker.say(response, texts.thanks(self.lang))
        elif prompt.status in ("queued", "expired"):
            self.speaker.say(response, texts.skipped(self.lang))

    def go_on(self, response: VoiceResponse, after: int | None) -> VoiceResponse:
        nxt = self.next_prompt(after)
        if nxt is not None:
            self.ask(response, nxt)
            return response
        answers = self.db.exec(select(Answer).where(Answer.prompt_id.in_(self.call.prompt_ids))).all()
        if answers:
            self.speaker.say(response, texts.summary(self.lang, sum(a.correct for a in answers), len(answers)))
        self.speaker.say(response, texts.goodbye(self.lang))
        response.hangup()
        if self.call.status == "in-progress":
            end_call(self.db, self.call, now=self.now, status="completed")
            self.learner.next_contact_at = next_contact_after(self.db, self.learner, self.call, now=self.now,
                                                              options=self.env.options)
            self.db.add(self.learner)
        return response


def start(db: Session, *, call: VoiceCall, call_sid: str | None, now: datetime, env: Env) -> VoiceResponse:
    """The call was answered: greet the learner by name and put the first question."""
    step = _Call(db, call, now=now, env=env)
    if call.status == "planned" and step.learner.active:
        call.status, call.started_at = "in-progress", now
    if call.status != "in-progress" and call.started_at is None:
        return hang_up(step.speaker, texts.nothing_to_ask(step.lang))
    if call_sid:
        call.call_sid = call_sid[:64]
    call.updated_at = now
    db.add(call)
    greetings = [p for p in step.prompts if p.kind == "greeting"]
    for greeting in greetings:
        if step.live and greeting.status == "queued":
            mark_sent(db, greeting, now=now, channel="voice")
    module = module_of(db, greetings[0]) if greetings else None
    response = VoiceResponse()
    step.speaker.say(response, texts.greeting(step.learner, module))
    return step.go_on(response, None)


def answer(db: Session, *, call: VoiceCall, prompt_id: int, attempt: int, digits: str | None,
           speech: str | None, now: datetime, env: Env) -> VoiceResponse:
    """A key (or nothing) for one question: grade it, or ask once more, or move on."""
    step = _Call(db, call, now=now, env=env)
    prompt = next((p for p in step.prompts if p.id == prompt_id), None)
    if prompt is None:
        return hang_up(step.speaker, texts.goodbye(step.lang))
    response = VoiceResponse()
    if prompt.status == "pending" and step.live:
        memory = None
        if prompt.kind in QUESTION_KINDS:  # its item, with its pack's fitted weights for grading
            item, memory = fitting.item_with_parameters(db, prompt.item_id)
            step.held.append(item)
        choice = read_choice(db, prompt, digits=digits, speech=speech)
        if choice is None and attempt < 2:
            step.speaker.say(response, texts.invalid_key(step.lang, choices(db, prompt))
                             if digits or speech else texts.no_key(step.lang))
            step.ask(response, prompt, attempt=2)
            return response
        raw = (digits or speech or "")[:200]
        if choice is None and prompt.kind == checkins.KIND and raw:
            # Something was said or keyed, twice, that is no answer: a person reads it.
            checkins.answer(db, learner=step.learner, prompt=prompt, text=raw, now=now, channel="voice")
        elif choice is None:
            release(db, prompt, now=now)  # unanswered, not wrong: it comes again
        elif prompt.kind == checkins.KIND:
            checkins.answer(db, learner=step.learner, prompt=prompt, text=str(choice), now=now, channel="voice")
        elif prompt.kind == milestones.KIND:
            milestones.answer(db, learner=step.learner, prompt=prompt, text=str(choice), now=now, channel="voice")
        elif prompt.kind == "rating":
            record_rating(db, learner=step.learner, prompt=prompt, rating=choice, now=now)
        else:
            grade_answer(db, learner=step.learner, prompt=prompt, choice=choice, raw=raw, now=now,
                         policy=env.policy, channel="voice", memory=memory)
    step.outcome(response, prompt)
    return step.go_on(response, prompt.id)


def choices(db: Session, prompt: Prompt) -> int:
    """How many keys answer ``prompt``: its options, or its kind's fixed answers (5 for a rating)."""
    if prompt.kind in QUESTION_KINDS:
        return len(db.get(Item, prompt.item_id).options)
    return prompt_kinds.of(prompt.kind).choices or RATING_MAX


def read_choice(db: Session, prompt: Prompt, *, digits: str | None, speech: str | None) -> int | None:
    """The option (or rating) a key or a spoken answer names; None if it names none."""
    count = choices(db, prompt)
    if digits:
        return parse_number(digits.strip()[:1], 1, count)
    if not speech:
        return None
    number = parse_number(speech, 1, count)
    if number is None:
        words = normalize(speech).split()
        number = languages.current().number_words.get(words[-1]) if words else None
        number = number if number and number <= count else None
    if number is None and prompt.kind in QUESTION_KINDS:
        item = db.get(Item, prompt.item_id)
        number = parse_choice(speech, [list(opt.values()) for opt in item.options])
    return number


def audio_file(db: Session, item: Item, lang: str, content_dir: str | None) -> Path | None:
    """The item's recording for ``lang`` (relative to its pack's directory), if it exists there."""
    relative = (item.audio or {}).get(lang)
    if not relative or not content_dir:
        return None
    module = db.get(Module, item.module_id)
    pack = db.get(Pack, module.pack_id)
    pack_dir = (Path(content_dir) / pack.slug).resolve()
    path = (pack_dir / relative).resolve()
    if not path.is_relative_to(pack_dir) or not path.is_file():
        return None
    return path
