from counter_app.services import search, stats


def test_sample_catalogue_is_searchable(sample):
    result = search.search("こころ")
    assert result.hits[0].title == "こころ"
    assert stats.stats()["bibs"] == 151
