from wirelens.explain.catalog import load
from wirelens.explain.tcp_state import (
    TRANSITIONS,
    Event,
    State,
    classify,
    is_path,
    step,
    transition_graph,
    transition_key,
)


def test_graph_is_drawn_from_the_table():
    graph = transition_graph()
    assert set(graph.nodes) == {s.value for s in State}
    assert graph.number_of_edges() == len(TRANSITIONS)
    for (before, event), after in TRANSITIONS.items():
        assert graph.has_edge(before.value, after.value, key=event.value)


def test_every_state_is_reachable_from_closed():
    import networkx as nx

    reachable = nx.descendants(transition_graph(), "CLOSED") | {"CLOSED"}
    assert reachable == {s.value for s in State}


def test_every_state_and_transition_is_explained_in_both_languages():
    for lang in ("zh", "en"):
        texts = load(lang)
        for state in State:
            assert f"state.{state.value}" in texts, (lang, state)
        for before, event in TRANSITIONS:
            assert transition_key(before, event) in texts, (lang, before, event)


def test_an_unexpected_event_keeps_the_state_and_says_so():
    assert step(State.LISTEN, Event.RCV_FIN) == (State.LISTEN, False)
    assert step(State.LISTEN, Event.RCV_SYN) == (State.SYN_RECEIVED, True)


def test_classify_a_fin_that_acknowledges_our_fin():
    sent, received = classify(syn=False, ack=True, fin=True, rst=False,
                              acks_receivers_syn=False, acks_receivers_fin=True)
    assert (sent, received) == (Event.SND_FIN, Event.RCV_FIN_ACK_OF_FIN)


def test_the_textbook_paths_are_paths_of_the_graph():
    S = State
    assert is_path([S.CLOSED, S.SYN_SENT, S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2,
                    S.TIME_WAIT, S.CLOSED])
    assert is_path([S.LISTEN, S.SYN_RECEIVED, S.ESTABLISHED, S.CLOSE_WAIT, S.LAST_ACK,
                    S.CLOSED])
    assert is_path([S.ESTABLISHED, S.FIN_WAIT_1, S.CLOSING, S.TIME_WAIT])
    assert not is_path([S.CLOSED, S.ESTABLISHED])
